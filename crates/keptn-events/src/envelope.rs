//! The CloudEvents 1.0 envelope as Keptn uses it (spec §1), and its builder.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::event_type::{EventType, EventTypeError, Phase};
use crate::names::{NameError, validate_project, validate_service, validate_stage};

/// The CloudEvents spec version Keptn speaks.
pub const SPEC_VERSION: &str = "1.0";
/// The only content type Keptn uses (the API forces it).
pub const CONTENT_TYPE: &str = "application/json";
/// The Keptn event-spec version the builder writes by default: the one of the spec's client
/// example and of the seed's payload. Keptn does not validate it.
pub const DEFAULT_KEPTN_SPEC_VERSION: &str = "0.2.3";

/// A Keptn CloudEvent in structured mode: attributes and extensions are top-level members
/// next to `data`.
///
/// Reading is lenient (every member but `source`, `type` and `data` may be absent, and
/// unknown members are kept in [`CloudEvent::extra`]), so any stored event round-trips
/// through serde unchanged. Writing goes through [`CloudEvent::builder`], which refuses
/// events Keptn would refuse.
///
/// `type` is kept as the string received so that events of types this crate does not model
/// (`sh.keptn.log.error`, …) can still be read; [`CloudEvent::event_type`] parses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudEvent<T = Value> {
    /// Always `1.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specversion: Option<String>,
    /// Unique id (UUID v4). The Keptn API replaces it with its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Emitter (URI reference).
    pub source: String,
    /// Event type, see [`EventType`].
    #[serde(rename = "type")]
    pub ty: String,
    /// RFC 3339 time. The Keptn API overwrites it with its receive time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<EventTime>,
    /// Keptn's (legacy CloudEvents 0.x) name of the content type; always `application/json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contenttype: Option<String>,
    /// CloudEvents 1.0 name of the content type. The Keptn API drops it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datacontenttype: Option<String>,
    /// The Keptn context: correlation id of one sequence run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shkeptncontext: Option<KeptnContext>,
    /// On answers: the `id` of the `.triggered` event answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triggeredid: Option<String>,
    /// Version of the Keptn event spec. The Keptn API drops it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shkeptnspecversion: Option<String>,
    /// Commit of the Keptn configuration repository the task must use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gitcommitid: Option<String>,
    /// The payload.
    pub data: T,
    /// Every member this crate does not model, kept in order.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CloudEvent<Value> {
    /// Starts a builder. The data type is fixed by the first call to
    /// [`CloudEventBuilder::data`].
    #[must_use]
    pub fn builder() -> CloudEventBuilder<Value> {
        CloudEventBuilder::default()
    }
}

impl<T> CloudEvent<T> {
    /// Parses the event type.
    ///
    /// # Errors
    /// When `type` is not a sequence or task event type.
    pub fn event_type(&self) -> Result<EventType, EventTypeError> {
        self.ty.parse()
    }

    /// The same envelope with the data mapped.
    pub fn map_data<U>(self, f: impl FnOnce(T) -> U) -> CloudEvent<U> {
        CloudEvent {
            specversion: self.specversion,
            id: self.id,
            source: self.source,
            ty: self.ty,
            time: self.time,
            contenttype: self.contenttype,
            datacontenttype: self.datacontenttype,
            shkeptncontext: self.shkeptncontext,
            triggeredid: self.triggeredid,
            shkeptnspecversion: self.shkeptnspecversion,
            gitcommitid: self.gitcommitid,
            data: f(self.data),
            extra: self.extra,
        }
    }
}

impl CloudEvent<Value> {
    /// Reads the untyped data as `U` (for example a [`crate::CommonData`]).
    ///
    /// # Errors
    /// When the data does not have that shape.
    pub fn typed_data<U: serde::de::DeserializeOwned>(&self) -> Result<U, serde_json::Error> {
        U::deserialize(&self.data)
    }
}

/// An event `time`: an instant, plus the text it was read from so that a round trip writes
/// back exactly what was received (`.000Z` stays `.000Z`, an offset stays an offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTime {
    instant: jiff::Timestamp,
    text: String,
}

impl EventTime {
    /// The current time, written as Go's `RFC3339Nano` in UTC (what Keptn emits).
    #[must_use]
    pub fn now() -> Self {
        Self::from(jiff::Timestamp::now())
    }

    /// The instant.
    #[must_use]
    pub fn timestamp(&self) -> jiff::Timestamp {
        self.instant
    }

    /// The text as written on the wire.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl From<jiff::Timestamp> for EventTime {
    fn from(instant: jiff::Timestamp) -> Self {
        // jiff's Display is RFC 3339 in UTC with trailing zeros of the fraction trimmed,
        // which is Go's RFC3339Nano.
        Self {
            instant,
            text: instant.to_string(),
        }
    }
}

/// A `time` that is not RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not an RFC 3339 time: {reason}")]
pub struct TimeError {
    text: String,
    reason: String,
}

impl FromStr for EventTime {
    type Err = TimeError;

    fn from_str(s: &str) -> Result<Self, TimeError> {
        // RFC 3339 needs a date, a `T` (or space, which jiff also takes) and an offset;
        // jiff's Timestamp parser refuses zone-less times, which is the point.
        let instant: jiff::Timestamp = s.parse().map_err(|e: jiff::Error| TimeError {
            text: s.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            instant,
            text: s.to_owned(),
        })
    }
}

impl fmt::Display for EventTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for EventTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for EventTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A Keptn context (`shkeptncontext`): the id of one sequence run.
///
/// Read as any string (stored events are not re-validated); [`KeptnContext::new_v4`] and
/// the builder only produce UUIDs, because the API replaces a non-UUID context with a
/// derived one and the run would no longer be found under the context sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeptnContext(String);

impl KeptnContext {
    /// A fresh random context.
    #[must_use]
    pub fn new_v4() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// A context from a UUID string (any UUID form; kept as given).
    ///
    /// # Errors
    /// When `s` is not a UUID.
    pub fn parse(s: &str) -> Result<Self, uuid::Error> {
        uuid::Uuid::parse_str(s)?;
        Ok(Self(s.to_owned()))
    }

    /// Wraps a context as received, without checking it.
    #[must_use]
    pub fn from_received(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The context.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it is a UUID.
    #[must_use]
    pub fn is_uuid(&self) -> bool {
        uuid::Uuid::parse_str(&self.0).is_ok()
    }
}

impl fmt::Display for KeptnContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why the builder refused an event.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BuildError {
    /// No [`CloudEventBuilder::event_type`] given.
    #[error("the event has no type")]
    MissingType,
    /// `source` is empty.
    #[error("the event source must not be empty")]
    MissingSource,
    /// `source` is not a URI reference.
    #[error("the event source `{0}` is not a URI reference (no spaces or control characters)")]
    InvalidSource(String),
    /// No data given.
    #[error("the event has no data")]
    MissingData,
    /// The data did not serialise to a JSON object.
    #[error("the event data must be a JSON object, not {0}")]
    DataNotObject(&'static str),
    /// The data could not be serialised at all.
    #[error("the event data cannot be serialised: {0}")]
    Serialize(String),
    /// A member Keptn requires for this type is missing or empty.
    #[error("data.{field} is required for {ty} events")]
    MissingField {
        /// `project`, `stage`, `service`, `status` or `result`.
        field: &'static str,
        /// The event type.
        ty: String,
    },
    /// A member that must be a string is not.
    #[error("data.{field} must be a string")]
    NotAString {
        /// The member.
        field: &'static str,
    },
    /// A project, stage or service name breaks the rules.
    #[error(transparent)]
    Name(#[from] NameError),
    /// `data.stage` differs from the stage in the type.
    #[error(
        "the stage in the event type (`{type_stage}`) and data.stage (`{data_stage}`) do not match"
    )]
    StageMismatch {
        /// From the type.
        type_stage: String,
        /// From the data.
        data_stage: String,
    },
    /// An answer (`.started`, `.status.changed`, `.finished`, `.invalidated` of a task)
    /// without the id of the `.triggered` event it answers.
    #[error("{0} events need a triggeredid (the id of the .triggered event they answer)")]
    MissingTriggeredId(String),
    /// A `.triggered` event carrying a `triggeredid`.
    #[error("{0} events must not carry a triggeredid")]
    UnexpectedTriggeredId(String),
    /// A context that is not a UUID.
    #[error("the Keptn context `{0}` is not a UUID")]
    InvalidContext(String),
    /// An extension attribute name that CloudEvents does not allow.
    #[error("`{0}` is not a valid CloudEvents attribute name (lower-case letters and digits only)")]
    InvalidAttributeName(String),
    /// An extension attribute that would overwrite a modelled member.
    #[error("`{0}` is a CloudEvents or Keptn attribute; use its own builder method")]
    ReservedAttribute(String),
}

/// Builds a [`CloudEvent`] that Keptn will accept (spec §1–§3, §8): the type parses, the
/// source is a URI reference, the data is a JSON object, project/stage/service are present
/// and valid where Keptn requires them, the stage matches the type, answers carry a
/// `triggeredid` and `.triggered` events do not, and `.finished` task events carry status
/// and result.
///
/// Defaults: `id` a new UUID v4, `time` now, `specversion` `1.0`, `contenttype` and
/// `datacontenttype` `application/json`, `shkeptnspecversion`
/// [`DEFAULT_KEPTN_SPEC_VERSION`]. No `shkeptncontext` unless given: the API creates one.
#[derive(Debug, Clone)]
pub struct CloudEventBuilder<T> {
    id: Option<String>,
    source: Option<String>,
    ty: Option<EventType>,
    time: Option<EventTime>,
    datacontenttype: bool,
    shkeptncontext: Option<String>,
    triggeredid: Option<String>,
    shkeptnspecversion: Option<String>,
    gitcommitid: Option<String>,
    data: Option<T>,
    extra: Map<String, Value>,
}

impl<T> Default for CloudEventBuilder<T> {
    fn default() -> Self {
        Self {
            id: None,
            source: None,
            ty: None,
            time: None,
            datacontenttype: true,
            shkeptncontext: None,
            triggeredid: None,
            shkeptnspecversion: Some(DEFAULT_KEPTN_SPEC_VERSION.to_owned()),
            gitcommitid: None,
            data: None,
            extra: Map::new(),
        }
    }
}

/// CloudEvents context attribute names and Keptn's, which [`CloudEventBuilder::extension`]
/// must not overwrite.
const RESERVED: &[&str] = &[
    "specversion",
    "id",
    "source",
    "type",
    "time",
    "contenttype",
    "datacontenttype",
    "dataschema",
    "subject",
    "shkeptncontext",
    "triggeredid",
    "shkeptnspecversion",
    "gitcommitid",
    "data",
    "data_base64",
];

impl<T> CloudEventBuilder<T> {
    /// Sets the event type (required).
    #[must_use]
    pub fn event_type(mut self, ty: EventType) -> Self {
        self.ty = Some(ty);
        self
    }

    /// Sets the source (required).
    #[must_use]
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Sets the payload (required), fixing the data type.
    #[must_use]
    pub fn data<U>(self, data: U) -> CloudEventBuilder<U> {
        CloudEventBuilder {
            id: self.id,
            source: self.source,
            ty: self.ty,
            time: self.time,
            datacontenttype: self.datacontenttype,
            shkeptncontext: self.shkeptncontext,
            triggeredid: self.triggeredid,
            shkeptnspecversion: self.shkeptnspecversion,
            gitcommitid: self.gitcommitid,
            data: Some(data),
            extra: self.extra,
        }
    }

    /// Overrides the generated id.
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Overrides the time (default: now).
    #[must_use]
    pub fn time(mut self, time: impl Into<EventTime>) -> Self {
        self.time = Some(time.into());
        self
    }

    /// Sets the Keptn context (must be a UUID).
    #[must_use]
    pub fn shkeptncontext(mut self, ctx: impl Into<String>) -> Self {
        self.shkeptncontext = Some(ctx.into());
        self
    }

    /// Sets the id of the `.triggered` event this event answers.
    #[must_use]
    pub fn triggeredid(mut self, id: impl Into<String>) -> Self {
        self.triggeredid = Some(id.into());
        self
    }

    /// Sets the config-repository commit.
    #[must_use]
    pub fn gitcommitid(mut self, commit: impl Into<String>) -> Self {
        self.gitcommitid = Some(commit.into());
        self
    }

    /// Sets or (with `None`) omits `shkeptnspecversion`.
    #[must_use]
    pub fn shkeptnspecversion(mut self, version: Option<String>) -> Self {
        self.shkeptnspecversion = version;
        self
    }

    /// Whether to write the CloudEvents 1.0 `datacontenttype` next to Keptn's `contenttype`
    /// (default: yes, for conformance; Keptn drops it).
    #[must_use]
    pub fn with_datacontenttype(mut self, yes: bool) -> Self {
        self.datacontenttype = yes;
        self
    }

    /// Adds a CloudEvents extension attribute (a top-level member).
    #[must_use]
    pub fn extension(mut self, name: impl Into<String>, value: Value) -> Self {
        self.extra.insert(name.into(), value);
        self
    }
}

impl<T: Serialize> CloudEventBuilder<T> {
    /// Checks everything and builds the event.
    ///
    /// # Errors
    /// See [`BuildError`].
    pub fn build(self) -> Result<CloudEvent<T>, BuildError> {
        let ty = self.ty.ok_or(BuildError::MissingType)?;
        let source = self.source.unwrap_or_default();
        if source.is_empty() {
            return Err(BuildError::MissingSource);
        }
        if source.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(BuildError::InvalidSource(source.escape_debug().to_string()));
        }
        let data = self.data.ok_or(BuildError::MissingData)?;
        let value =
            serde_json::to_value(&data).map_err(|e| BuildError::Serialize(e.to_string()))?;
        let Value::Object(obj) = &value else {
            return Err(BuildError::DataNotObject(json_kind(&value)));
        };
        check_data(&ty, obj)?;

        match (ty.phase(), &self.triggeredid) {
            (Phase::Triggered, Some(_)) => {
                return Err(BuildError::UnexpectedTriggeredId(ty.to_string()));
            }
            (Phase::Triggered | Phase::Finished, None) if ty.is_sequence() => {}
            (Phase::Triggered, None) => {}
            (_, None) => return Err(BuildError::MissingTriggeredId(ty.to_string())),
            (_, Some(_)) => {}
        }
        if let Some(ctx) = &self.shkeptncontext
            && uuid::Uuid::parse_str(ctx).is_err()
        {
            return Err(BuildError::InvalidContext(ctx.escape_debug().to_string()));
        }
        for name in self.extra.keys() {
            if RESERVED.contains(&name.as_str()) {
                return Err(BuildError::ReservedAttribute(name.clone()));
            }
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            {
                return Err(BuildError::InvalidAttributeName(
                    name.escape_debug().to_string(),
                ));
            }
        }

        Ok(CloudEvent {
            specversion: Some(SPEC_VERSION.to_owned()),
            id: Some(self.id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string())),
            source,
            ty: ty.to_string(),
            time: Some(self.time.unwrap_or_else(EventTime::now)),
            contenttype: Some(CONTENT_TYPE.to_owned()),
            datacontenttype: self.datacontenttype.then(|| CONTENT_TYPE.to_owned()),
            shkeptncontext: self.shkeptncontext.map(KeptnContext),
            triggeredid: self.triggeredid,
            shkeptnspecversion: self.shkeptnspecversion,
            gitcommitid: self.gitcommitid,
            data,
            extra: self.extra,
        })
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn string_member<'a>(
    obj: &'a Map<String, Value>,
    field: &'static str,
) -> Result<Option<&'a str>, BuildError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(BuildError::NotAString { field }),
    }
}

/// Keptn's own rules (API `eventvalidation.go`) plus the name rules, on the data object.
fn check_data(ty: &EventType, obj: &Map<String, Value>) -> Result<(), BuildError> {
    let project = string_member(obj, "project")?;
    let stage = string_member(obj, "stage")?;
    let service = string_member(obj, "service")?;
    // Names are checked whenever present; a typo there fails the sequence later, silently.
    if let Some(p) = project {
        validate_project(p)?;
    }
    if let Some(s) = stage {
        validate_stage(s)?;
    }
    if let Some(s) = service {
        validate_service(s)?;
    }
    // Every event a client sends through the API names its project, stage and service:
    // required for sequence `.triggered` and task `.started`/`.finished`, and without them
    // Keptn cannot route any other event either.
    let ty_s = ty.to_string();
    for (field, v) in [("project", project), ("stage", stage), ("service", service)] {
        if v.is_none() {
            return Err(BuildError::MissingField { field, ty: ty_s });
        }
    }
    if let (Some(type_stage), Some(data_stage)) = (ty.stage_name(), stage)
        && type_stage != data_stage
    {
        return Err(BuildError::StageMismatch {
            type_stage: type_stage.to_owned(),
            data_stage: data_stage.to_owned(),
        });
    }
    if !ty.is_sequence() && ty.phase() == Phase::Finished {
        for field in ["status", "result"] {
            if string_member(obj, field)?.is_none() {
                return Err(BuildError::MissingField { field, ty: ty_s });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CommonData;
    use serde_json::json;

    fn seq() -> EventType {
        EventType::sequence("main", "demosequence", Phase::Triggered).unwrap()
    }

    #[test]
    fn builds_a_complete_envelope() {
        let ev = CloudEvent::builder()
            .event_type(seq())
            .source("keptn-send")
            .data(CommonData::new("trivyintegration", "main", "trivyservice"))
            .build()
            .unwrap();
        let v = serde_json::to_value(&ev).unwrap();
        assert_eq!(v["specversion"], "1.0");
        assert_eq!(v["contenttype"], "application/json");
        assert_eq!(v["datacontenttype"], "application/json");
        assert_eq!(v["shkeptnspecversion"], "0.2.3");
        assert_eq!(v["type"], "sh.keptn.event.main.demosequence.triggered");
        let id = uuid::Uuid::parse_str(v["id"].as_str().unwrap()).unwrap();
        assert_eq!(id.get_version_num(), 4);
        assert!(v.get("shkeptncontext").is_none());
        assert!(v.get("triggeredid").is_none());
        let t: jiff::Timestamp = v["time"].as_str().unwrap().parse().unwrap();
        assert!(t <= jiff::Timestamp::now());
    }

    #[test]
    fn refuses_invalid_events() {
        let data = || CommonData::new("p", "main", "svc");
        let base = || CloudEvent::builder().event_type(seq()).source("s");
        assert_eq!(
            CloudEvent::builder()
                .source("s")
                .data(data())
                .build()
                .unwrap_err(),
            BuildError::MissingType
        );
        assert_eq!(
            CloudEvent::builder()
                .event_type(seq())
                .data(data())
                .build()
                .unwrap_err(),
            BuildError::MissingSource
        );
        assert!(matches!(
            base().source("a b").data(data()).build(),
            Err(BuildError::InvalidSource(_))
        ));
        assert_eq!(base().build().unwrap_err(), BuildError::MissingData);
        assert_eq!(
            base().data(json!([1])).build().unwrap_err(),
            BuildError::DataNotObject("an array")
        );
        let e = base()
            .data(CommonData::new("p", "dev", "svc"))
            .build()
            .unwrap_err();
        assert!(matches!(e, BuildError::StageMismatch { .. }), "{e}");
        let e = base()
            .data(json!({"project": "p", "stage": "main"}))
            .build()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "data.service is required for sh.keptn.event.main.demosequence.triggered events"
        );
        let e = base()
            .data(CommonData::new("Bad", "main", "svc"))
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("invalid project name `Bad`"), "{e}");
        let e = base()
            .data(json!({"project": 1, "stage": "main", "service": "s"}))
            .build()
            .unwrap_err();
        assert_eq!(e, BuildError::NotAString { field: "project" });
        let e = base().triggeredid("x").data(data()).build().unwrap_err();
        assert!(matches!(e, BuildError::UnexpectedTriggeredId(_)));
        let e = base()
            .shkeptncontext("not-a-uuid")
            .data(data())
            .build()
            .unwrap_err();
        assert!(matches!(e, BuildError::InvalidContext(_)));
        let e = base()
            .extension("shkeptncontext", json!("x"))
            .data(data())
            .build()
            .unwrap_err();
        assert!(matches!(e, BuildError::ReservedAttribute(_)));
        let e = base()
            .extension("Bad_Name", json!("x"))
            .data(data())
            .build()
            .unwrap_err();
        assert!(matches!(e, BuildError::InvalidAttributeName(_)));
    }

    #[test]
    fn answers_need_a_triggeredid_and_finished_needs_status_and_result() {
        let started = EventType::task("securityscan", Phase::Started).unwrap();
        let finished = started.with_phase(Phase::Finished).unwrap();
        let data = CommonData::new("p", "main", "svc");
        let e = CloudEvent::builder()
            .event_type(started.clone())
            .source("s")
            .data(data.clone())
            .build()
            .unwrap_err();
        assert!(matches!(e, BuildError::MissingTriggeredId(_)));
        CloudEvent::builder()
            .event_type(started)
            .source("s")
            .triggeredid("t1")
            .data(data.clone())
            .build()
            .unwrap();
        let e = CloudEvent::builder()
            .event_type(finished.clone())
            .source("s")
            .triggeredid("t1")
            .data(data.clone())
            .build()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "data.status is required for sh.keptn.event.securityscan.finished events"
        );
        let mut done = data;
        done.status = Some(crate::Status::Succeeded);
        done.result = Some(crate::EventResult::Pass);
        CloudEvent::builder()
            .event_type(finished)
            .source("s")
            .triggeredid("t1")
            .data(done)
            .build()
            .unwrap();
    }

    #[test]
    fn time_keeps_its_text_and_refuses_non_rfc3339() {
        let t: EventTime = "2024-03-05T10:15:00.000Z".parse().unwrap();
        assert_eq!(t.to_string(), "2024-03-05T10:15:00.000Z");
        assert_eq!(t.timestamp(), "2024-03-05T10:15:00Z".parse().unwrap());
        let t: EventTime = "2024-03-05T12:15:00+02:00".parse().unwrap();
        assert_eq!(t.timestamp(), "2024-03-05T10:15:00Z".parse().unwrap());
        assert!("2024-03-05T10:15:00".parse::<EventTime>().is_err());
        assert!("yesterday".parse::<EventTime>().is_err());
        let now =
            EventTime::from(jiff::Timestamp::from_nanosecond(1_709_633_702_123_456_789).unwrap());
        assert_eq!(now.as_str(), "2024-03-05T10:15:02.123456789Z");
    }
}
