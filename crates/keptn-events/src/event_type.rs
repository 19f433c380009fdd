//! The event-type grammar (spec §2):
//! `sh.keptn.event.<stage>.<sequence>.<phase>` for sequence events and
//! `sh.keptn.event.<task>.<phase>` for task events.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::names::{NameError, SequenceName, StageName, TaskName};

/// Prefix of every Keptn event type.
pub const PREFIX: &str = "sh.keptn.event.";

/// The last part of an event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// `.triggered`: a sequence or task is requested.
    Triggered,
    /// `.started`: an executor took a task.
    Started,
    /// `.status.changed`: an executor reports progress.
    StatusChanged,
    /// `.finished`: a sequence or task ended.
    Finished,
    /// `.invalidated`: an evaluation result is withdrawn (evaluation task only).
    Invalidated,
}

impl Phase {
    /// Every phase, in life-cycle order.
    pub const ALL: [Self; 5] = [
        Self::Triggered,
        Self::Started,
        Self::StatusChanged,
        Self::Finished,
        Self::Invalidated,
    ];

    /// The suffix as written in the type, without the leading dot.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Triggered => "triggered",
            Self::Started => "started",
            Self::StatusChanged => "status.changed",
            Self::Finished => "finished",
            Self::Invalidated => "invalidated",
        }
    }

    /// Whether a sequence event may have this phase (only `triggered` and `finished`).
    #[must_use]
    pub fn valid_for_sequence(self) -> bool {
        matches!(self, Self::Triggered | Self::Finished)
    }

    /// Whether a task event with this task name may have this phase (`invalidated` only for
    /// `evaluation`).
    #[must_use]
    pub fn valid_for_task(self, task: &str) -> bool {
        self != Self::Invalidated || task == "evaluation"
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string is not a Keptn event type, or an event type cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventTypeError {
    /// It does not start with `sh.keptn.event.`.
    #[error("`{0}` is not a Keptn event type: it must start with `sh.keptn.event.`")]
    Prefix(String),
    /// The number of parts fits neither grammar.
    #[error(
        "`{0}` is not a Keptn event type: expected `sh.keptn.event.<task>.<phase>` or `sh.keptn.event.<stage>.<sequence>.<phase>`"
    )]
    Shape(String),
    /// The last part is not a phase.
    #[error("`{ty}`: unknown event type action `{phase}`")]
    UnknownPhase {
        /// The whole type.
        ty: String,
        /// The unknown suffix.
        phase: String,
    },
    /// A valid phase in the wrong place (`started` for a sequence, `invalidated` for a task
    /// other than `evaluation`).
    #[error("`{ty}`: the phase `{phase}` is not allowed for {what}")]
    PhaseNotAllowed {
        /// The whole type.
        ty: String,
        /// The phase.
        phase: Phase,
        /// "a sequence event" or "task `x`".
        what: String,
    },
    /// A stage, sequence or task part breaks the name rules.
    #[error(transparent)]
    Name(#[from] NameError),
}

/// A parsed Keptn event type.
///
/// ```
/// use keptn_events::{EventType, Phase};
/// let t: EventType = "sh.keptn.event.main.demosequence.triggered".parse()?;
/// assert_eq!(t.phase(), Phase::Triggered);
/// assert_eq!(t.stage_name(), Some("main"));
/// assert_eq!(t.to_string(), "sh.keptn.event.main.demosequence.triggered");
/// let t: EventType = "sh.keptn.event.securityscan.status.changed".parse()?;
/// assert_eq!(t.task_name(), Some("securityscan"));
/// # Ok::<(), keptn_events::EventTypeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventType {
    /// `sh.keptn.event.<stage>.<sequence>.<phase>`, phase `triggered` or `finished`.
    Sequence {
        /// Stage part.
        stage: StageName,
        /// Sequence part.
        sequence: SequenceName,
        /// Phase.
        phase: Phase,
    },
    /// `sh.keptn.event.<task>.<phase>`.
    Task {
        /// Task part.
        task: TaskName,
        /// Phase.
        phase: Phase,
    },
}

impl EventType {
    /// A sequence event type.
    ///
    /// # Errors
    /// Invalid names, or a phase other than `triggered`/`finished`.
    pub fn sequence(stage: &str, sequence: &str, phase: Phase) -> Result<Self, EventTypeError> {
        let t = Self::Sequence {
            stage: StageName::new(stage)?,
            sequence: SequenceName::new(sequence)?,
            phase,
        };
        if !phase.valid_for_sequence() {
            return Err(EventTypeError::PhaseNotAllowed {
                ty: t.to_string(),
                phase,
                what: "a sequence event (only triggered and finished)".to_owned(),
            });
        }
        Ok(t)
    }

    /// A task event type.
    ///
    /// # Errors
    /// An invalid name, or `invalidated` for a task other than `evaluation`.
    pub fn task(task: &str, phase: Phase) -> Result<Self, EventTypeError> {
        let t = Self::Task {
            task: TaskName::new(task)?,
            phase,
        };
        if !phase.valid_for_task(task) {
            return Err(EventTypeError::PhaseNotAllowed {
                ty: t.to_string(),
                phase,
                what: format!("task `{task}` (only evaluation can be invalidated)"),
            });
        }
        Ok(t)
    }

    /// The phase.
    #[must_use]
    pub fn phase(&self) -> Phase {
        match self {
            Self::Sequence { phase, .. } | Self::Task { phase, .. } => *phase,
        }
    }

    /// The stage of a sequence event.
    #[must_use]
    pub fn stage_name(&self) -> Option<&str> {
        match self {
            Self::Sequence { stage, .. } => Some(stage.as_str()),
            Self::Task { .. } => None,
        }
    }

    /// The sequence of a sequence event.
    #[must_use]
    pub fn sequence_name(&self) -> Option<&str> {
        match self {
            Self::Sequence { sequence, .. } => Some(sequence.as_str()),
            Self::Task { .. } => None,
        }
    }

    /// The task of a task event.
    #[must_use]
    pub fn task_name(&self) -> Option<&str> {
        match self {
            Self::Task { task, .. } => Some(task.as_str()),
            Self::Sequence { .. } => None,
        }
    }

    /// True for sequence events.
    #[must_use]
    pub fn is_sequence(&self) -> bool {
        matches!(self, Self::Sequence { .. })
    }

    /// The same event type with another phase (for example the `.finished` answering a
    /// `.triggered`).
    ///
    /// # Errors
    /// When the phase is not allowed for this kind of event.
    pub fn with_phase(&self, phase: Phase) -> Result<Self, EventTypeError> {
        match self {
            Self::Sequence {
                stage, sequence, ..
            } => Self::sequence(stage.as_str(), sequence.as_str(), phase),
            Self::Task { task, .. } => Self::task(task.as_str(), phase),
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sequence {
                stage,
                sequence,
                phase,
            } => write!(f, "{PREFIX}{stage}.{sequence}.{phase}"),
            Self::Task { task, phase } => write!(f, "{PREFIX}{task}.{phase}"),
        }
    }
}

impl FromStr for EventType {
    type Err = EventTypeError;

    fn from_str(s: &str) -> Result<Self, EventTypeError> {
        let rest = s
            .strip_prefix(PREFIX)
            .ok_or_else(|| EventTypeError::Prefix(s.to_owned()))?;
        // `.status.changed` holds a dot, so it must be matched before splitting (go-utils'
        // "6 parts means sequence" rule gets it wrong).
        if let Some(task) = rest.strip_suffix(".status.changed") {
            if task.contains('.') {
                return Err(EventTypeError::Shape(s.to_owned()));
            }
            return Self::task(task, Phase::StatusChanged);
        }
        let parts: Vec<&str> = rest.split('.').collect();
        let (names, last) = match parts.as_slice() {
            [task, last] => (vec![*task], *last),
            [stage, sequence, last] => (vec![*stage, *sequence], *last),
            _ => return Err(EventTypeError::Shape(s.to_owned())),
        };
        let phase = match last {
            "triggered" => Phase::Triggered,
            "started" => Phase::Started,
            "finished" => Phase::Finished,
            "invalidated" => Phase::Invalidated,
            other => {
                return Err(EventTypeError::UnknownPhase {
                    ty: s.to_owned(),
                    phase: other.to_owned(),
                });
            }
        };
        match names.as_slice() {
            [task] => Self::task(task, phase),
            [stage, sequence] => Self::sequence(stage, sequence, phase),
            _ => Err(EventTypeError::Shape(s.to_owned())),
        }
    }
}

impl Serialize for EventType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_example_kind() {
        let t: EventType = "sh.keptn.event.dev.demosequence.triggered".parse().unwrap();
        assert_eq!(
            (t.stage_name(), t.sequence_name(), t.phase()),
            (Some("dev"), Some("demosequence"), Phase::Triggered)
        );
        for (s, task, phase) in [
            (
                "sh.keptn.event.securityscan.triggered",
                "securityscan",
                Phase::Triggered,
            ),
            (
                "sh.keptn.event.securityscan.started",
                "securityscan",
                Phase::Started,
            ),
            (
                "sh.keptn.event.securityscan.status.changed",
                "securityscan",
                Phase::StatusChanged,
            ),
            (
                "sh.keptn.event.get-sli.finished",
                "get-sli",
                Phase::Finished,
            ),
            (
                "sh.keptn.event.evaluation.invalidated",
                "evaluation",
                Phase::Invalidated,
            ),
        ] {
            let t: EventType = s.parse().unwrap();
            assert_eq!((t.task_name(), t.phase()), (Some(task), phase), "{s}");
            assert_eq!(t.to_string(), s);
        }
    }

    #[test]
    fn refuses_what_keptn_refuses() {
        let cases = [
            ("sh.keptn.log.error", "must start with"),
            ("sh.keptn.event.", "expected"),
            ("sh.keptn.event.a.b.c.triggered", "expected"),
            (
                "sh.keptn.event.dev.demo.started",
                "not allowed for a sequence",
            ),
            ("sh.keptn.event.securityscan.invalidated", "only evaluation"),
            (
                "sh.keptn.event.securityscan.done",
                "unknown event type action `done`",
            ),
            ("sh.keptn.event.Dev.demo.triggered", "lower-case"),
            ("sh.keptn.event.a.b.status.changed", "expected"),
            ("sh.keptn.event..triggered", "empty"),
        ];
        for (s, want) in cases {
            let e = s.parse::<EventType>().unwrap_err();
            assert!(e.to_string().contains(want), "{s}: {e}");
        }
    }

    #[test]
    fn with_phase_keeps_the_names() {
        let t = EventType::sequence("main", "demosequence", Phase::Triggered).unwrap();
        assert_eq!(
            t.with_phase(Phase::Finished).unwrap().to_string(),
            "sh.keptn.event.main.demosequence.finished"
        );
        assert!(t.with_phase(Phase::Started).is_err());
    }
}
