//! A Keptn v1 API client (feature `client`): send an event, read a sequence's state, read a
//! run's events from the datastore (spec §7).
//!
//! Every call sends the token in `x-token`, retries 408/429/5xx and transport failures with
//! backoff through `http_policy::send_with_retry`, and never retries a 401.
//!
//! ```no_run
//! # async fn demo() -> Result<(), keptn_events::client::ClientError> {
//! use keptn_events::client::KeptnClient;
//! use http_policy::{HttpConfig, RetryPolicy};
//! let client = KeptnClient::new(
//!     "https://keptn.example.org/api".parse().expect("a URL"),
//!     secrecy::SecretString::from("token"),
//!     &HttpConfig::default(),
//!     RetryPolicy::default(),
//! )?;
//! # let event: keptn_events::CloudEvent = todo!();
//! let ctx = client.send_event(&event).await?;
//! if let Some(state) = client.sequence_state("trivyintegration", &ctx).await? {
//!     println!("{}", state.state);
//! }
//! # Ok(()) }
//! ```

use std::fmt;

use http_policy::{HttpConfig, HttpError, Redaction, RetryPolicy, redact_url, send_with_retry};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

use crate::wire::string_enum;
use crate::{CloudEvent, EventResult, KeptnContext};

/// Most pages the client reads from the datastore for one run (100 events each): a run of the
/// security gate has about a dozen events, so this bound is never reached in practice.
const MAX_PAGES: usize = 20;

/// The broad class of a failure, for mapping to exit codes and deciding what to tell users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The token was refused (401/403).
    Unauthorized,
    /// The API refused the request (another 4xx), e.g. an invalid event.
    Rejected,
    /// No usable answer: connection failed, or 5xx/429 after every retry.
    Unavailable,
    /// A request timed out (after retries).
    Timeout,
    /// The answer did not have the documented shape.
    Protocol,
    /// The client could not be set up (TLS, a token unusable in a header).
    Setup,
}

/// A failed Keptn API call. Messages name the URL without credentials or query, never the
/// token.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// 401 or 403.
    #[error(
        "the Keptn API rejected the token ({status}) at {url}; check that it is the current keptn-api-token (it is sent as x-token)"
    )]
    Unauthorized {
        /// Redacted URL.
        url: String,
        /// 401 or 403.
        status: u16,
    },
    /// Another 4xx, with Keptn's error message.
    #[error("the Keptn API refused the request ({status}) at {url}: {message}")]
    Rejected {
        /// Redacted URL.
        url: String,
        /// Status code.
        status: u16,
        /// Keptn's `message`, or a body excerpt.
        message: String,
    },
    /// Transport failure or retryable status after every attempt.
    #[error("the Keptn API is not available: {0}")]
    Http(#[from] HttpError),
    /// An unexpected answer.
    #[error("unexpected answer from the Keptn API at {url}: {reason}")]
    Protocol {
        /// Redacted URL.
        url: String,
        /// What was wrong.
        reason: String,
    },
}

impl ClientError {
    /// The class of this failure.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Unauthorized { .. } => ErrorKind::Unauthorized,
            Self::Rejected { .. } => ErrorKind::Rejected,
            Self::Http(HttpError::Transport {
                timed_out: true, ..
            }) => ErrorKind::Timeout,
            Self::Http(HttpError::Transport { .. } | HttpError::RetriesExhausted { .. }) => {
                ErrorKind::Unavailable
            }
            Self::Http(HttpError::Client(_) | HttpError::InvalidToken) => ErrorKind::Setup,
            Self::Protocol { .. } => ErrorKind::Protocol,
        }
    }
}

/// A `pub type Result` for this module.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// The state of one sequence run as the shipyard-controller reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SequenceState {
    /// Sequence name.
    #[serde(default)]
    pub name: String,
    /// Service.
    #[serde(default)]
    pub service: String,
    /// Project.
    #[serde(default)]
    pub project: String,
    /// When the sequence was triggered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// The Keptn context.
    #[serde(default)]
    pub shkeptncontext: String,
    /// Overall state.
    pub state: SequenceStatus,
    /// One entry per stage the run went through.
    #[serde(default)]
    pub stages: Vec<StageState>,
    /// Title of the problem that triggered a remediation, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem_title: Option<String>,
    /// Members not modelled.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One stage of a [`SequenceState`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageState {
    /// Stage name.
    #[serde(default)]
    pub name: String,
    /// State in this stage.
    #[serde(default)]
    pub state: String,
    /// Deployed image, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Result and score of the stage's latest evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_evaluation: Option<LatestEvaluation>,
    /// The stage's latest event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_event: Option<EventRef>,
    /// The stage's latest failed event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_failed_event: Option<EventRef>,
    /// Members not modelled.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `latestEvaluation` of a stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatestEvaluation {
    /// `pass`, `warning` or `fail`; written as `""` when not set.
    #[serde(default, with = "crate::wire::go_zero")]
    pub result: Option<EventResult>,
    /// 0..100.
    #[serde(default)]
    pub score: f64,
}

/// A reference to an event in a stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRef {
    /// Event type.
    #[serde(rename = "type", default)]
    pub ty: String,
    /// Event id.
    #[serde(default)]
    pub id: String,
    /// Event time.
    #[serde(default)]
    pub time: String,
}

string_enum!(
    /// A sequence's overall state (go-utils `state.go`).
    SequenceStatus {
        /// Accepted, not started yet.
        Triggered = "triggered",
        /// Running.
        Started = "started",
        /// Waiting for another sequence of the same service and stage.
        Waiting = "waiting",
        /// Waiting for an approval.
        WaitingForApproval = "waitingForApproval",
        /// Paused by a user.
        Paused = "paused",
        /// Ended normally (the result is in the events).
        Finished = "finished",
        /// Aborted by a user.
        Aborted = "aborted",
        /// No executor started a task in time.
        TimedOut = "timedOut",
    }
);

impl SequenceStatus {
    /// `finished`, `aborted` and `timedOut` end a run.
    #[must_use]
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Finished | Self::Aborted | Self::TimedOut)
    }
}

#[derive(Deserialize)]
struct ContextAnswer {
    #[serde(rename = "keptnContext")]
    keptn_context: Option<String>,
}

#[derive(Deserialize)]
struct StatesAnswer {
    #[serde(default)]
    states: Option<Vec<SequenceState>>,
}

#[derive(Deserialize)]
struct EventsAnswer {
    #[serde(default)]
    events: Option<Vec<CloudEvent<Value>>>,
    #[serde(default, rename = "nextPageKey")]
    next_page_key: Option<String>,
}

#[derive(Deserialize)]
struct KeptnErrorBody {
    message: Option<String>,
}

/// The Keptn API client.
pub struct KeptnClient {
    base: Url,
    token: SecretString,
    http: reqwest::Client,
    retry: RetryPolicy,
    /// Removes secrets from the server text this client hands back.
    redaction: Redaction,
}

impl fmt::Debug for KeptnClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeptnClient")
            .field("base", &redact_url(&self.base))
            .field("token", &"[REDACTED]")
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl KeptnClient {
    /// A client for the API at `base_url`: the gateway prefix, normally
    /// `http(s)://<host>/api`. Check the URL with `http_policy::parse_endpoint` first (it
    /// refuses tokens over plain http to other machines).
    ///
    /// # Errors
    /// When the HTTP client cannot be built or the token cannot go into a header.
    pub fn new(
        base_url: Url,
        token: SecretString,
        http: &HttpConfig,
        retry: RetryPolicy,
    ) -> Result<Self> {
        // Fail now, not on the first request, when the token holds a newline.
        http_policy::secret_header("", token.expose_secret())?;
        Ok(Self {
            base: base_url,
            token,
            http: http.client()?,
            retry,
            redaction: http.redaction.clone(),
        })
    }

    /// The base URL, redacted, for messages.
    #[must_use]
    pub fn base_url(&self) -> String {
        redact_url(&self.base)
    }

    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        url.set_query(None);
        url.set_fragment(None);
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            path.extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    async fn call(
        &self,
        method: reqwest::Method,
        url: &Url,
        body: Option<&[u8]>,
    ) -> Result<(StatusCode, String)> {
        let shown = redact_url(url);
        let header = http_policy::secret_header("", self.token.expose_secret())?;
        let resp = send_with_retry(&self.retry, &shown, || {
            let mut req = self
                .http
                .request(method.clone(), url.clone())
                .header("x-token", header.clone())
                .header(reqwest::header::ACCEPT, "application/json");
            if let Some(body) = body {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.to_vec());
            }
            req
        })
        .await?;
        let status = resp.status();
        let text = http_policy::read_text(resp, http_policy::KEPTN_RESPONSE_LIMIT)
            .await
            .map_err(|e| ClientError::Protocol {
                url: shown.clone(),
                reason: e.to_string(),
            })?;
        tracing::debug!(%status, url = %shown, "Keptn API answered");
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(ClientError::Unauthorized {
                url: shown,
                status: status.as_u16(),
            });
        }
        if !status.is_success() {
            let message = serde_json::from_str::<KeptnErrorBody>(&text)
                .ok()
                .and_then(|b| b.message)
                .map_or_else(
                    || self.redaction.excerpt(&text),
                    |m| self.redaction.excerpt(&m),
                );
            return Err(ClientError::Rejected {
                url: shown,
                status: status.as_u16(),
                message,
            });
        }
        Ok((status, text))
    }

    fn decode<T: serde::de::DeserializeOwned>(&self, url: &Url, text: &str) -> Result<T> {
        serde_json::from_str(text).map_err(|e| ClientError::Protocol {
            url: redact_url(url),
            reason: format!("{e}; body: {}", self.redaction.excerpt(text)),
        })
    }

    /// `POST /v1/event`: sends an event and returns the Keptn context of the run.
    ///
    /// # Errors
    /// See [`ClientError`]; an event Keptn refuses is [`ClientError::Rejected`] with Keptn's
    /// message.
    pub async fn send_event<T: Serialize>(&self, event: &CloudEvent<T>) -> Result<KeptnContext> {
        let url = self.url(&["v1", "event"], &[]);
        let body = serde_json::to_vec(event).map_err(|e| ClientError::Protocol {
            url: redact_url(&url),
            reason: format!("the event cannot be serialised: {e}"),
        })?;
        tracing::info!(r#type = %event.ty, url = %redact_url(&url), "sending event");
        let (_, text) = self.call(reqwest::Method::POST, &url, Some(&body)).await?;
        let answer: ContextAnswer = self.decode(&url, &text)?;
        match answer.keptn_context {
            Some(ctx) if !ctx.is_empty() => Ok(KeptnContext::from_received(ctx)),
            _ => Err(ClientError::Protocol {
                url: redact_url(&url),
                reason: format!(
                    "no keptnContext in the answer: {}",
                    self.redaction.excerpt(&text)
                ),
            }),
        }
    }

    /// `GET /controlPlane/v1/sequence/{project}?keptnContext=…`: the run's state, or `None`
    /// while the shipyard-controller has not registered it yet (normal right after the POST:
    /// events travel through NATS).
    ///
    /// # Errors
    /// See [`ClientError`].
    pub async fn sequence_state(
        &self,
        project: &str,
        keptn_context: &KeptnContext,
    ) -> Result<Option<SequenceState>> {
        let url = self.url(
            &["controlPlane", "v1", "sequence", project],
            &[("keptnContext", keptn_context.as_str())],
        );
        let (_, text) = self.call(reqwest::Method::GET, &url, None).await?;
        let answer: StatesAnswer = self.decode(&url, &text)?;
        let states = answer.states.unwrap_or_default();
        let mine = states
            .iter()
            .position(|s| s.shkeptncontext == keptn_context.as_str())
            .or(if states.is_empty() { None } else { Some(0) });
        Ok(mine.map(|i| states.into_iter().nth(i)).unwrap_or_default())
    }

    /// `GET /mongodb-datastore/event?keptnContext=…&type=…`: the run's events (of one type,
    /// when given), newest first, every page read.
    ///
    /// # Errors
    /// See [`ClientError`].
    pub async fn events(
        &self,
        keptn_context: &KeptnContext,
        event_type: Option<&str>,
    ) -> Result<Vec<CloudEvent<Value>>> {
        let mut out = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![
                ("keptnContext", keptn_context.as_str()),
                ("pageSize", "100"),
            ];
            if let Some(t) = event_type {
                query.push(("type", t));
            }
            if let Some(k) = next.as_deref() {
                query.push(("nextPageKey", k));
            }
            let url = self.url(&["mongodb-datastore", "event"], &query);
            let (_, text) = self.call(reqwest::Method::GET, &url, None).await?;
            let answer: EventsAnswer = self.decode(&url, &text)?;
            out.extend(answer.events.unwrap_or_default());
            match answer.next_page_key {
                Some(k) if !k.is_empty() && k != "0" && next.as_deref() != Some(k.as_str()) => {
                    next = Some(k);
                }
                _ => return Ok(out),
            }
        }
        tracing::warn!(
            pages = MAX_PAGES,
            "stopped reading the datastore after the page limit"
        );
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_the_gateway_prefix_and_escape() {
        let c = KeptnClient::new(
            "http://127.0.0.1:1/api?x=1".parse().unwrap(),
            SecretString::from("t"),
            &HttpConfig::default(),
            RetryPolicy::default(),
        )
        .unwrap();
        assert_eq!(
            c.url(&["v1", "event"], &[]).as_str(),
            "http://127.0.0.1:1/api/v1/event"
        );
        let u = c.url(
            &["controlPlane", "v1", "sequence", "a b"],
            &[("keptnContext", "x&y")],
        );
        assert_eq!(
            u.as_str(),
            "http://127.0.0.1:1/api/controlPlane/v1/sequence/a%20b?keptnContext=x%26y"
        );
        let c2 = KeptnClient::new(
            "http://127.0.0.1:1/api/".parse().unwrap(),
            SecretString::from("t"),
            &HttpConfig::default(),
            RetryPolicy::default(),
        )
        .unwrap();
        assert_eq!(
            c2.url(&["v1", "event"], &[]).as_str(),
            "http://127.0.0.1:1/api/v1/event"
        );
    }

    #[test]
    fn debug_hides_the_token_and_bad_tokens_fail_early() {
        let c = KeptnClient::new(
            "http://127.0.0.1:1/api".parse().unwrap(),
            SecretString::from("s3cr3t-token"),
            &HttpConfig::default(),
            RetryPolicy::default(),
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("s3cr3t"));
        let e = KeptnClient::new(
            "http://127.0.0.1:1/api".parse().unwrap(),
            SecretString::from("a\nb"),
            &HttpConfig::default(),
            RetryPolicy::default(),
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Setup);
    }

    #[test]
    fn states_parse_leniently() {
        let s: SequenceState = serde_json::from_value(serde_json::json!({
            "name": "demosequence", "service": "svc", "project": "p", "time": "t",
            "shkeptncontext": "c", "state": "waitingForApproval",
            "stages": [{"name": "main", "state": "started",
                        "latestEvaluation": {"result": "pass", "score": 90},
                        "latestEvent": {"type": "x", "id": "i", "time": "t"}, "new": 1}]
        }))
        .unwrap();
        assert_eq!(s.state, SequenceStatus::WaitingForApproval);
        assert!(!s.state.is_terminal());
        assert_eq!(s.stages[0].latest_evaluation.as_ref().unwrap().score, 90.0);
        assert_eq!(s.stages[0].extra["new"], 1);
        assert!(SequenceStatus::from("timedOut".to_owned()).is_terminal());
        assert_eq!(
            SequenceStatus::from("later"),
            SequenceStatus::Other("later".into())
        );
    }

    #[test]
    fn latest_evaluation_result_is_typed_and_keeps_its_wire_form() {
        for (json, result) in [
            (r#"{"result":"pass","score":90.0}"#, Some(EventResult::Pass)),
            (r#"{"result":"","score":0.0}"#, None),
            (
                r#"{"result":"maybe","score":1.5}"#,
                Some(EventResult::Other("maybe".into())),
            ),
        ] {
            let e: LatestEvaluation = serde_json::from_str(json).unwrap();
            assert_eq!(e.result, result, "{json}");
            assert_eq!(serde_json::to_string(&e).unwrap(), json);
        }
        let e: LatestEvaluation = serde_json::from_str(r#"{"score":1}"#).unwrap();
        assert_eq!(e.result, None);
    }
}
