//! A stateful fake of the Keptn v1 API (api-service, shipyard-controller sequence state,
//! mongodb-datastore) behind the `/api` gateway prefix, following `specs/keptn-events.md`.
//!
//! * Every request needs the configured `x-token` (else 401, nothing recorded as accepted).
//! * `POST /api/v1/event` validates the event as the API does with `EVENT_VALIDATION_ENABLED`
//!   (type grammar, mandatory fields, stage match, `triggeredid`, status/result, size), plus
//!   what the shipyard-controller would fail on later (CloudEvents envelope, name rules, the
//!   project/stage/sequence/service exist in the configured shipyard). Violations get
//!   `400 {"code":400,"message":"…"}` like Keptn. The validation is written independently of
//!   the `keptn-events` crate on purpose, so that a bug there cannot hide itself.
//! * A sequence `.triggered` starts a run that advances one step per poll of
//!   `GET /api/controlPlane/v1/sequence/{project}?keptnContext=…` (after `empty_polls`
//!   polls answering `{"states":[]}`, as real Keptn does right after the POST), emitting the
//!   events of the security-gate flow (§4) into the datastore, where
//!   `GET /api/mongodb-datastore/event?keptnContext=…&type=…` serves them newest first.
//! * `Scenario::External`: the fake plays only the shipyard-controller. It triggers the
//!   sequence's tasks one after another (`<task>.triggered`, with the sequence's data and the
//!   data of the tasks finished before, as Keptn passes it on) and waits for someone else (a
//!   job-executor or lighthouse stand-in in the test) to POST `<task>.started` and
//!   `<task>.finished`. A task finished with `result: fail` ends the sequence without the rest;
//!   the `evaluation` task's result and score become the sequence's `latestEvaluation`.
//!   [`FakeKeptn::events_of_type`] is how such a party sees what was triggered.
//! * `foreign_run = Some(evaluation)`: the API ignores the `keptnContext` filter (of both the
//!   sequence state and the datastore) and already holds another run, [`FOREIGN_CONTEXT`],
//!   that finished with `evaluation`; its state comes first and its events carry a later `time`
//!   than anything this test's run emits, so only a client that checks the context of what it
//!   reads keeps its own verdict.
//! * `throttle_every = Some(n)`: every n-th GET gets `429 {"code":429,"message":"too many requests"}`
//!   (the gateway's auth rate limit).
//!
//! The server runs on its own thread and runtime, so blocking tests (`assert_cmd`) and async
//! tests can both use it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

/// The event-size limit of the API (`MAX_EVENT_SIZE_KB`, 64 KB).
pub const MAX_EVENT_BYTES: usize = 64 * 1024;

/// The keptnContext of the other run a [`FakeKeptnConfig::foreign_run`] fake holds.
pub const FOREIGN_CONTEXT: &str = "0f0f0f0f-0000-4000-8000-f0f0f0f0f0f0";

/// How the triggered sequence ends.
#[derive(Debug, Clone)]
pub enum Scenario {
    /// securityscan passes, then the evaluation finishes with this outcome.
    Evaluation(FakeEvaluation),
    /// The sequence is aborted while securityscan runs.
    Aborted,
    /// securityscan finishes with `result: fail` and this message; no evaluation follows.
    ScanFailed {
        /// The job-executor's message.
        message: String,
    },
    /// No executor ever starts securityscan: the sequence ends `timedOut`.
    TimedOut,
    /// securityscan never finishes: the sequence stays `started`.
    NeverFinishes,
    /// Only the shipyard-controller is played: each task is triggered and another party
    /// (the test) finishes it by POSTing `<task>.started` and `<task>.finished`.
    External,
}

/// The `evaluation.finished` the fake emits.
#[derive(Debug, Clone)]
pub struct FakeEvaluation {
    /// `data.status`.
    pub status: String,
    /// `data.result` (and `evaluation.result`).
    pub result: String,
    /// `evaluation.score`.
    pub score: f64,
    /// `data.message`.
    pub message: String,
    /// `evaluation.indicatorResults`.
    pub indicator_results: Value,
}

impl FakeEvaluation {
    fn trivy(value: f64, status: &str, score: f64, result: &str) -> Self {
        // The seed's slo.yaml (pass `<10`) plus a warning band `<20`, so all three outcomes
        // come from one objective.
        Self {
            status: "succeeded".into(),
            result: result.into(),
            score,
            message: String::new(),
            indicator_results: json!([{
                "score": if status == "pass" { 1.0 } else if status == "warning" { 0.5 } else { 0.0 },
                "value": {"metric": "trivy_vulns", "value": value, "comparedValue": 0, "success": true},
                "displayName": "Critical CVEs",
                "passTargets": [{"criteria": "<10", "targetValue": 10, "violated": status != "pass"}],
                "warningTargets": [{"criteria": "<20", "targetValue": 20, "violated": status == "fail"}],
                "keySli": false,
                "status": status
            }]),
        }
    }

    /// 3 critical vulnerabilities: pass, score 100.
    #[must_use]
    pub fn pass() -> Self {
        Self::trivy(3.0, "pass", 100.0, "pass")
    }

    /// 12 critical vulnerabilities: warning, score 50 (total_score warning 50%).
    #[must_use]
    pub fn warning() -> Self {
        Self::trivy(12.0, "warning", 50.0, "warning")
    }

    /// 25 critical vulnerabilities: fail, score 0.
    #[must_use]
    pub fn fail() -> Self {
        Self::trivy(25.0, "fail", 0.0, "fail")
    }
}

/// A stage of the fake's shipyard.
#[derive(Debug, Clone)]
pub struct FakeStage {
    /// Stage name.
    pub name: String,
    /// (sequence, tasks).
    pub sequences: Vec<(String, Vec<String>)>,
}

/// What the fake knows and how it plays.
#[derive(Debug, Clone)]
pub struct FakeKeptnConfig {
    /// The API token (`x-token`).
    pub token: String,
    /// The one project.
    pub project: String,
    /// Its shipyard.
    pub stages: Vec<FakeStage>,
    /// Services of the project.
    pub services: Vec<String>,
    /// How sequences end.
    pub scenario: Scenario,
    /// Sequence-state polls answering `{"states":[]}` after the POST.
    pub empty_polls: u32,
    /// Every n-th GET is answered 429.
    pub throttle_every: Option<u32>,
    /// Ignore the `keptnContext` filter, and hold another run that finished with this evaluation.
    pub foreign_run: Option<FakeEvaluation>,
}

impl FakeKeptnConfig {
    /// The seed's setup: project `trivyintegration`, stage `main`, sequence `demosequence`
    /// (`securityscan`, `evaluation`), service `trivyservice`; evaluation passes.
    #[must_use]
    pub fn seed(token: &str) -> Self {
        Self {
            token: token.into(),
            project: "trivyintegration".into(),
            stages: vec![FakeStage {
                name: "main".into(),
                sequences: vec![(
                    "demosequence".into(),
                    vec!["securityscan".into(), "evaluation".into()],
                )],
            }],
            services: vec!["trivyservice".into()],
            scenario: Scenario::Evaluation(FakeEvaluation::pass()),
            empty_polls: 2,
            throttle_every: None,
            foreign_run: None,
        }
    }

    /// Same, with another ending.
    #[must_use]
    pub fn with_scenario(mut self, scenario: Scenario) -> Self {
        self.scenario = scenario;
        self
    }

    /// Same, on an API that ignores the `keptnContext` filter and already holds another run
    /// ([`FOREIGN_CONTEXT`]) that finished with `evaluation`.
    #[must_use]
    pub fn ignoring_context_filter(mut self, evaluation: FakeEvaluation) -> Self {
        self.foreign_run = Some(evaluation);
        self
    }

    /// Same, with 429s on every n-th GET.
    #[must_use]
    pub fn with_throttle(mut self, every: u32) -> Self {
        self.throttle_every = Some(every.max(2));
        self
    }
}

/// One request the fake answered.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// Method.
    pub method: String,
    /// Path (with the `/api` prefix).
    pub path: String,
    /// Query string.
    pub query: HashMap<String, String>,
    /// Status answered.
    pub status: u16,
    /// Whether an `x-token` header was present (its value is never recorded).
    pub had_token: bool,
}

#[derive(Debug)]
struct Run {
    ctx: String,
    stage: String,
    sequence: String,
    service: String,
    labels: Value,
    base_data: Map<String, Value>,
    seq_triggered_id: String,
    polls: u32,
    step: u32,
    state: &'static str,
    latest_eval: Option<(String, f64)>,
    /// `Scenario::External`: the sequence's tasks and the index of the one triggered now.
    tasks: Vec<String>,
    current_task: usize,
}

#[derive(Debug, Default)]
struct Inner {
    received: Vec<Value>,
    rejected: Vec<(u16, String)>,
    requests: Vec<RecordedRequest>,
    gets: u32,
    throttled: u32,
    runs: Vec<Run>,
    /// The datastore, oldest first.
    events: Vec<Value>,
}

#[derive(Clone)]
struct App {
    config: Arc<FakeKeptnConfig>,
    inner: Arc<Mutex<Inner>>,
}

impl App {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The running fake. Stops when dropped.
#[derive(Debug)]
pub struct FakeKeptn {
    api_url: String,
    inner: Arc<Mutex<Inner>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl FakeKeptn {
    /// Starts the fake on 127.0.0.1 (a free port).
    ///
    /// # Panics
    /// When no loopback port can be bound or the runtime cannot start.
    #[must_use]
    pub fn start(config: FakeKeptnConfig) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let mut state = Inner::default();
        if let Some(evaluation) = &config.foreign_run {
            finished_foreign_run(&config, evaluation.clone(), &mut state);
        }
        let inner = Arc::new(Mutex::new(state));
        let app = App {
            config: Arc::new(config),
            inner: inner.clone(),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("fake-keptn".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                    let _ = axum::serve(listener, router(app))
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
                        .await;
                });
            })
            .expect("spawn fake-keptn thread");
        Self {
            api_url: format!("http://{addr}/api"),
            inner,
            stop: Some(stop),
        }
    }

    /// The gateway base URL, `http://127.0.0.1:<port>/api` (what `KEPTN_API_URL` holds).
    #[must_use]
    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every event accepted by `POST /v1/event`, as sent.
    #[must_use]
    pub fn received(&self) -> Vec<Value> {
        self.lock().received.clone()
    }

    /// Every refused `POST /v1/event` or authentication: (status, Keptn's message).
    #[must_use]
    pub fn rejected(&self) -> Vec<(u16, String)> {
        self.lock().rejected.clone()
    }

    /// Every request answered.
    #[must_use]
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// How many GETs were answered 429.
    #[must_use]
    pub fn throttled(&self) -> u32 {
        self.lock().throttled
    }

    /// POSTs `event` to `/v1/event` over HTTP with `token`, as a Keptn service (a job-executor,
    /// lighthouse) sends its `.started` and `.finished` events; the API's checks apply.
    ///
    /// # Errors
    /// The status and body of a refusal (status 0: no answer).
    ///
    /// # Panics
    /// When no runtime can be started.
    pub fn post_event(&self, token: &str, event: &Value) -> Result<Value, (u16, String)> {
        let url = format!("{}/v1/event", self.api_url);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let answer = http_policy::client_builder()
                .build()
                .expect("HTTP client")
                .post(url)
                .header("x-token", token)
                .header("content-type", "application/json")
                .body(event.to_string())
                .timeout(std::time::Duration::from_secs(10))
                .send()
                .await
                .map_err(|e| (0, e.to_string()))?;
            let status = answer.status().as_u16();
            let body = answer.text().await.unwrap_or_default();
            if status == 200 {
                serde_json::from_str(&body).map_err(|e| (status, format!("{e}: {body}")))
            } else {
                Err((status, body))
            }
        })
    }

    /// The datastore's events of one type, of every run, oldest first (what a service
    /// subscribed to that type would have received).
    #[must_use]
    pub fn events_of_type(&self, ty: &str) -> Vec<Value> {
        self.lock()
            .events
            .iter()
            .filter(|e| e["type"] == ty)
            .cloned()
            .collect()
    }

    /// The datastore's events of one run, oldest first.
    #[must_use]
    pub fn stored_events(&self, keptn_context: &str) -> Vec<Value> {
        self.lock()
            .events
            .iter()
            .filter(|e| e["shkeptncontext"] == keptn_context)
            .cloned()
            .collect()
    }
}

impl Drop for FakeKeptn {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Plays another run ([`FOREIGN_CONTEXT`]) to its end and dates its events an hour ahead.
fn finished_foreign_run(config: &FakeKeptnConfig, evaluation: FakeEvaluation, inner: &mut Inner) {
    let (stage, sequence) = config
        .stages
        .first()
        .and_then(|s| {
            s.sequences
                .first()
                .map(|(q, _)| (s.name.clone(), q.clone()))
        })
        .unwrap_or_default();
    let mut run = Run {
        ctx: FOREIGN_CONTEXT.into(),
        stage,
        sequence,
        service: config.services.first().cloned().unwrap_or_default(),
        labels: Value::Null,
        base_data: Map::new(),
        seq_triggered_id: uuid::Uuid::new_v4().to_string(),
        polls: config.empty_polls,
        step: 0,
        state: "triggered",
        latest_eval: None,
        tasks: Vec::new(),
        current_task: 0,
    };
    let foreign = FakeKeptnConfig {
        scenario: Scenario::Evaluation(evaluation),
        ..config.clone()
    };
    let mut events = Vec::new();
    // The evaluation scenario ends after four steps.
    for _ in 0..4 {
        advance(&mut run, &foreign, &mut events);
    }
    let later = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(1))
        .unwrap_or_else(|_| jiff::Timestamp::now());
    for ev in &mut events {
        ev["time"] = json!(later.to_string());
    }
    inner.events.extend(events);
    inner.runs.push(run);
}

fn router(app: App) -> Router {
    Router::new()
        .route("/api/v1/event", post(post_event))
        .route("/api/v1/auth", post(auth))
        .route("/api/v1/metadata", get(metadata))
        .route(
            "/api/controlPlane/v1/sequence/{project}",
            get(sequence_state),
        )
        .route("/api/mongodb-datastore/event", get(datastore_events))
        .fallback(not_found)
        .with_state(app)
}

fn keptn_error(status: StatusCode, message: impl Into<String>) -> Response {
    let code = status.as_u16();
    (
        status,
        axum::Json(json!({"code": code, "message": message.into()})),
    )
        .into_response()
}

fn record(
    app: &App,
    method: &str,
    path: &str,
    query: &HashMap<String, String>,
    status: u16,
    headers: &HeaderMap,
) {
    app.lock().requests.push(RecordedRequest {
        method: method.into(),
        path: path.into(),
        query: query.clone(),
        status,
        had_token: headers.contains_key("x-token"),
    });
}

fn token_ok(app: &App, headers: &HeaderMap) -> bool {
    headers
        .get("x-token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t == app.config.token)
}

/// Token check and (for GETs) the gateway's rate limit.
fn gate(app: &App, headers: &HeaderMap, is_get: bool) -> Option<Response> {
    if !token_ok(app, headers) {
        app.lock().rejected.push((401, "invalid token".into()));
        return Some(keptn_error(StatusCode::UNAUTHORIZED, "invalid token"));
    }
    if is_get && let Some(n) = app.config.throttle_every {
        let mut inner = app.lock();
        inner.gets += 1;
        if inner.gets.is_multiple_of(n) {
            inner.throttled += 1;
            return Some(keptn_error(
                StatusCode::TOO_MANY_REQUESTS,
                "too many requests",
            ));
        }
    }
    None
}

async fn not_found(uri: axum::http::Uri) -> Response {
    keptn_error(
        StatusCode::NOT_FOUND,
        format!("path {} was not found", uri.path()),
    )
}

async fn auth(State(app): State<App>, headers: HeaderMap) -> Response {
    let resp = gate(&app, &headers, false).unwrap_or_else(|| StatusCode::OK.into_response());
    record(
        &app,
        "POST",
        "/api/v1/auth",
        &HashMap::new(),
        resp.status().as_u16(),
        &headers,
    );
    resp
}

async fn metadata(State(app): State<App>, headers: HeaderMap) -> Response {
    let resp = gate(&app, &headers, true).unwrap_or_else(|| {
        axum::Json(json!({"keptnversion": "1.4.0", "namespace": "keptn", "bridgeversion": "1.4.0"}))
            .into_response()
    });
    record(
        &app,
        "GET",
        "/api/v1/metadata",
        &HashMap::new(),
        resp.status().as_u16(),
        &headers,
    );
    resp
}

async fn post_event(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let resp = match gate(&app, &headers, false) {
        Some(r) => r,
        None => match accept_event(&app, &headers, &body) {
            Ok(ctx) => axum::Json(json!({"keptnContext": ctx})).into_response(),
            Err((status, msg)) => {
                app.lock().rejected.push((status.as_u16(), msg.clone()));
                keptn_error(status, msg)
            }
        },
    };
    record(
        &app,
        "POST",
        "/api/v1/event",
        &HashMap::new(),
        resp.status().as_u16(),
        &headers,
    );
    resp
}

type Reject = (StatusCode, String);

fn bad(msg: impl Into<String>) -> Reject {
    (StatusCode::BAD_REQUEST, msg.into())
}

fn is_entity_name(s: &str) -> bool {
    // ^[a-z]([a-z0-9-]*[a-z0-9])?$
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[b.len() - 1] != b'-'
}

fn str_member<'a>(o: &'a Map<String, Value>, k: &str) -> Result<Option<&'a str>, Reject> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str()).filter(|s| !s.is_empty())),
        Some(_) => Err(bad(format!("{k} must be a string"))),
    }
}

fn accept_event(app: &App, headers: &HeaderMap, body: &Bytes) -> Result<String, Reject> {
    let ct = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if mime != "application/json" && mime != "application/cloudevents+json" {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported media type `{ct}`: application/json expected"),
        ));
    }
    if body.len() > MAX_EVENT_BYTES {
        return Err(bad(format!(
            "event size exceeds the maximum of {MAX_EVENT_BYTES} bytes"
        )));
    }
    let event: Value = serde_json::from_slice(body)
        .map_err(|e| bad(format!("parsing body body from \"\" failed, because {e}")))?;
    let Value::Object(ev) = &event else {
        return Err(bad("the event must be a JSON object"));
    };

    // CloudEvents 1.0 envelope.
    match ev.get("specversion") {
        Some(Value::String(v)) if v == "1.0" => {}
        other => {
            return Err(bad(format!(
                "specversion must be \"1.0\", got {}",
                other.unwrap_or(&Value::Null)
            )));
        }
    }
    let source = str_member(ev, "source")?.ok_or_else(|| bad("source is required"))?;
    if source.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("source must be a URI-reference"));
    }
    let ty = str_member(ev, "type")?
        .ok_or_else(|| bad("type is required"))?
        .to_owned();
    if let Some(v) = ev.get("id")
        && v.as_str().is_none_or(str::is_empty)
    {
        return Err(bad("id must be a non-empty string"));
    }
    if let Some(t) = str_member(ev, "time")?
        && t.parse::<jiff::Timestamp>().is_err()
    {
        return Err(bad(format!("time `{t}` is not an RFC 3339 timestamp")));
    }
    for k in ["contenttype", "datacontenttype"] {
        if let Some(v) = str_member(ev, k)?
            && v != "application/json"
        {
            return Err(bad(format!("{k} must be application/json")));
        }
    }
    let ctx_in = str_member(ev, "shkeptncontext")?;
    if let Some(c) = ctx_in
        && uuid::Uuid::parse_str(c).is_err()
    {
        return Err(bad(format!("shkeptncontext `{c}` is not a UUID")));
    }
    for k in ["triggeredid", "gitcommitid", "shkeptnspecversion"] {
        str_member(ev, k)?;
    }
    for k in ev.keys() {
        if k.is_empty()
            || !k
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            return Err(bad(format!(
                "`{k}` is not a valid CloudEvents attribute name"
            )));
        }
    }
    let Some(Value::Object(data)) = ev.get("data") else {
        return Err(bad("data must be a JSON object"));
    };

    // The API's type rules (eventvalidation.go).
    let Some(rest) = ty.strip_prefix("sh.keptn.event.") else {
        return Err(bad("unknown event type"));
    };
    let parts: Vec<&str> = rest.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(bad("unknown event type"));
    }
    let project = str_member(data, "project")?;
    let stage = str_member(data, "stage")?;
    let service = str_member(data, "service")?;
    let triggeredid = str_member(ev, "triggeredid")?;
    match parts.as_slice() {
        [type_stage, sequence, kind] => {
            if *kind != "triggered" {
                return Err(bad(format!("unknown event type action: {kind}")));
            }
            if triggeredid.is_some() {
                return Err(bad("a .triggered event must not carry a triggeredid"));
            }
            let (Some(project), Some(stage), Some(service)) = (project, stage, service) else {
                return Err(bad(
                    "mandatory field(s) 'project', 'stage' or 'service' missing",
                ));
            };
            if stage != *type_stage {
                return Err(bad(
                    "stage name in event data and in event type does not match",
                ));
            }
            check_shipyard(&app.config, project, stage, sequence, service)?;
            if let Some(labels) = data.get("labels")
                && !labels
                    .as_object()
                    .is_some_and(|m| m.values().all(Value::is_string))
            {
                return Err(bad("labels must be an object of strings"));
            }
            let ctx = ctx_in.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
            let mut inner = app.lock();
            inner.received.push(event.clone());
            // What the API stores: its own id and receive time, contenttype forced, the
            // members its model lacks dropped.
            let mut stored = ev.clone();
            let seq_id = uuid::Uuid::new_v4().to_string();
            stored.insert("id".into(), json!(seq_id));
            stored.insert("time".into(), json!(jiff::Timestamp::now().to_string()));
            stored.insert("contenttype".into(), json!("application/json"));
            stored.insert("shkeptncontext".into(), json!(ctx));
            stored.remove("datacontenttype");
            stored.remove("shkeptnspecversion");
            inner.events.push(Value::Object(stored));
            let mut run = Run {
                ctx: ctx.clone(),
                stage: stage.into(),
                sequence: (*sequence).into(),
                service: service.into(),
                labels: data.get("labels").cloned().unwrap_or(Value::Null),
                base_data: data.clone(),
                seq_triggered_id: seq_id,
                polls: 0,
                step: 0,
                state: "triggered",
                latest_eval: None,
                tasks: sequence_tasks(&app.config, stage, sequence),
                current_task: 0,
            };
            if matches!(app.config.scenario, Scenario::External) {
                trigger_task(&mut run, &app.config, &mut inner.events, Map::new());
            }
            inner.runs.push(run);
            Ok(ctx)
        }
        [_task, kind] => {
            if !matches!(*kind, "started" | "finished" | "invalidated") {
                return Err(bad(format!("unknown event type action: {kind}")));
            }
            if project.is_none() || stage.is_none() || service.is_none() {
                return Err(bad(
                    "mandatory field(s) 'project', 'stage' or 'service' missing",
                ));
            }
            if triggeredid.is_none() {
                return Err(bad("mandatory field 'triggeredid' missing"));
            }
            if *kind == "finished" {
                if str_member(data, "result")?.is_none() {
                    return Err(bad("result field is not set"));
                }
                if str_member(data, "status")?.is_none() {
                    return Err(bad("status field is not set"));
                }
            }
            let ctx = ctx_in.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
            let mut inner = app.lock();
            inner.received.push(event.clone());
            let mut stored = ev.clone();
            stored.insert("id".into(), json!(uuid::Uuid::new_v4().to_string()));
            stored.insert("time".into(), json!(now()));
            stored.insert("shkeptncontext".into(), json!(ctx));
            let stored = Value::Object(stored);
            inner.events.push(stored.clone());
            if matches!(app.config.scenario, Scenario::External) && *kind == "finished" {
                let inner = &mut *inner;
                if let Some(run) = inner.runs.iter_mut().find(|r| r.ctx == ctx) {
                    task_finished(run, &app.config, &mut inner.events, &stored);
                }
            }
            Ok(ctx)
        }
        [_, _, a, b] if format!("{a}.{b}") == "status.changed" => {
            Err(bad("unknown event type action: changed"))
        }
        _ => Err(bad("unknown event type")),
    }
}

fn check_shipyard(
    c: &FakeKeptnConfig,
    project: &str,
    stage: &str,
    sequence: &str,
    service: &str,
) -> Result<(), Reject> {
    if !is_entity_name(project) {
        return Err(bad(format!("project name `{project}` is invalid")));
    }
    if !is_entity_name(stage) {
        return Err(bad(format!("stage name `{stage}` is invalid")));
    }
    if service.is_empty()
        || service.len() > 43
        || service == "."
        || service == ".."
        || service.contains(['/', '>', '<', '|', ':', '&'])
    {
        return Err(bad(format!("service name `{service}` is invalid")));
    }
    if project != c.project {
        return Err(bad(format!("project {project} not found")));
    }
    let Some(st) = c.stages.iter().find(|s| s.name == stage) else {
        return Err(bad(format!("stage {stage} not found in project {project}")));
    };
    if !st.sequences.iter().any(|(name, _)| name == sequence) {
        return Err(bad(format!(
            "sequence {sequence} not found in stage {stage}"
        )));
    }
    if !c.services.iter().any(|s| s == service) {
        return Err(bad(format!(
            "service {service} not found in project {project}"
        )));
    }
    Ok(())
}

/// The tasks of `sequence` in `stage` of the configured shipyard.
fn sequence_tasks(c: &FakeKeptnConfig, stage: &str, sequence: &str) -> Vec<String> {
    c.stages
        .iter()
        .filter(|s| s.name == stage)
        .flat_map(|s| s.sequences.iter())
        .find(|(name, _)| name == sequence)
        .map(|(_, tasks)| tasks.clone())
        .unwrap_or_default()
}

/// `Scenario::External`: emits `<current task>.triggered` with the sequence's data plus
/// `carried` (the data of the tasks finished so far), or finishes the sequence when no task
/// is left.
fn trigger_task(
    run: &mut Run,
    config: &FakeKeptnConfig,
    events: &mut Vec<Value>,
    carried: Map<String, Value>,
) {
    let Some(task) = run.tasks.get(run.current_task).cloned() else {
        finish_sequence(run, config, events, "succeeded", "pass");
        return;
    };
    run.state = "started";
    let mut data = run.base_data.clone();
    for k in ["project", "stage", "service", "labels"] {
        data.remove(k);
    }
    data.extend(carried);
    let (_, ev) = emit(
        run,
        &config.project,
        "shipyard-controller",
        &format!("sh.keptn.event.{task}.triggered"),
        None,
        Value::Object(data),
    );
    events.push(ev);
}

/// `Scenario::External`: a `<task>.finished` arrived. Only the finish of the task triggered
/// now (same `triggeredid`) moves the sequence on, as in Keptn.
fn task_finished(run: &mut Run, config: &FakeKeptnConfig, events: &mut Vec<Value>, ev: &Value) {
    let Some(task) = run.tasks.get(run.current_task).cloned() else {
        return;
    };
    let triggered = format!("sh.keptn.event.{task}.triggered");
    let trigger_id = events
        .iter()
        .rev()
        .find(|e| e["shkeptncontext"] == run.ctx.as_str() && e["type"] == triggered.as_str())
        .and_then(|e| e["id"].as_str())
        .map(str::to_owned);
    if ev["type"] != format!("sh.keptn.event.{task}.finished").as_str()
        || trigger_id.as_deref() != ev["triggeredid"].as_str()
    {
        return;
    }
    let result = ev["data"]["result"].as_str().unwrap_or("fail").to_owned();
    let status = ev["data"]["status"]
        .as_str()
        .unwrap_or("errored")
        .to_owned();
    if task == "evaluation" {
        let score = ev["data"]["evaluation"]["score"].as_f64().unwrap_or(0.0);
        run.latest_eval = Some((result.clone(), score));
    }
    if result == "fail" || status != "succeeded" {
        finish_sequence(run, config, events, &status, &result);
        return;
    }
    // Keptn hands the next task what the finished one added to the data.
    let mut carried = ev["data"].as_object().cloned().unwrap_or_default();
    for k in [
        "project", "stage", "service", "labels", "status", "result", "message",
    ] {
        carried.remove(k);
    }
    run.current_task += 1;
    trigger_task(run, config, events, carried);
}

fn finish_sequence(
    run: &mut Run,
    config: &FakeKeptnConfig,
    events: &mut Vec<Value>,
    status: &str,
    result: &str,
) {
    run.state = "finished";
    let tid = run.seq_triggered_id.clone();
    let (_, ev) = emit(
        run,
        &config.project,
        "shipyard-controller",
        &format!("sh.keptn.event.{}.{}.finished", run.stage, run.sequence),
        Some(&tid),
        json!({"status": status, "result": result}),
    );
    events.push(ev);
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// An event as Keptn's services emit it.
fn emit(
    run: &Run,
    project: &str,
    source: &str,
    ty: &str,
    triggeredid: Option<&str>,
    extra: Value,
) -> (String, Value) {
    let id = uuid::Uuid::new_v4().to_string();
    let mut data = json!({"project": project, "stage": run.stage, "service": run.service});
    if !run.labels.is_null() {
        data["labels"] = run.labels.clone();
    }
    if let (Value::Object(d), Value::Object(x)) = (&mut data, extra) {
        d.extend(x);
    }
    let mut ev = json!({
        "specversion": "1.0", "id": id, "source": source, "type": ty, "time": now(),
        "contenttype": "application/json", "shkeptncontext": run.ctx,
        "gitcommitid": "4be1d3c0a6f2e9b87d5c4a3b2e1f0d9c8b7a6f5e",
        "shkeptnspecversion": "0.2.4", "data": data
    });
    if let Some(t) = triggeredid {
        ev["triggeredid"] = json!(t);
    }
    (id, ev)
}

/// Advances a run by one step of its scenario, appending events to the datastore.
fn advance(run: &mut Run, config: &FakeKeptnConfig, events: &mut Vec<Value>) {
    let p = config.project.as_str();
    let seq_finished = format!("sh.keptn.event.{}.{}.finished", run.stage, run.sequence);
    let scan_trig_id = |events: &Vec<Value>, run: &Run| -> String {
        events
            .iter()
            .rev()
            .find(|e| {
                e["shkeptncontext"] == run.ctx.as_str()
                    && e["type"] == "sh.keptn.event.securityscan.triggered"
            })
            .and_then(|e| e["id"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let mut passed = run.base_data.clone();
    passed.remove("project");
    passed.remove("stage");
    passed.remove("service");
    passed.remove("labels");
    run.step += 1;
    match (&config.scenario, run.step) {
        (_, 1) => {
            run.state = "started";
            let (t1, ev) = emit(
                run,
                p,
                "shipyard-controller",
                "sh.keptn.event.securityscan.triggered",
                None,
                Value::Object(passed),
            );
            events.push(ev);
            if !matches!(config.scenario, Scenario::TimedOut) {
                let (_, ev) = emit(
                    run,
                    p,
                    "job-executor-service",
                    "sh.keptn.event.securityscan.started",
                    Some(&t1),
                    json!({"status": "succeeded"}),
                );
                events.push(ev);
            }
        }
        (Scenario::TimedOut, 2) => {
            run.state = "timedOut";
            let tid = run.seq_triggered_id.clone();
            let (_, ev) = emit(
                run,
                p,
                "shipyard-controller",
                &seq_finished,
                Some(&tid),
                json!({"status": "errored", "result": "fail", "message": "sequence timed out"}),
            );
            events.push(ev);
        }
        (Scenario::Aborted, 2) => {
            run.state = "aborted";
            let tid = run.seq_triggered_id.clone();
            let (_, ev) = emit(
                run,
                p,
                "shipyard-controller",
                &seq_finished,
                Some(&tid),
                json!({"status": "aborted", "result": "fail", "message": "sequence aborted"}),
            );
            events.push(ev);
        }
        (Scenario::ScanFailed { message }, 2) => {
            let t1 = scan_trig_id(events, run);
            let (_, ev) = emit(
                run,
                p,
                "job-executor-service",
                "sh.keptn.event.securityscan.finished",
                Some(&t1),
                json!({"status": "succeeded", "result": "fail", "message": message}),
            );
            events.push(ev);
            run.state = "finished";
            let tid = run.seq_triggered_id.clone();
            let (_, ev) = emit(
                run,
                p,
                "shipyard-controller",
                &seq_finished,
                Some(&tid),
                json!({"status": "succeeded", "result": "fail"}),
            );
            events.push(ev);
        }
        (Scenario::Evaluation(_), 2) => {
            let t1 = scan_trig_id(events, run);
            let (_, ev) = emit(
                run,
                p,
                "job-executor-service",
                "sh.keptn.event.securityscan.finished",
                Some(&t1),
                json!({
                    "status": "succeeded", "result": "pass",
                    "message": "Job job-executor-service-job-1 finished successfully!\n\nLogs:\nChecking 1 security levels: ['CRITICAL']\nFinished. Total Vulnerability Count: 3\n\n"
                }),
            );
            events.push(ev);
            let mut eval_data = passed.clone();
            eval_data.insert("result".into(), json!("pass"));
            eval_data.insert("status".into(), json!("succeeded"));
            let (t2, ev) = emit(
                run,
                p,
                "shipyard-controller",
                "sh.keptn.event.evaluation.triggered",
                None,
                Value::Object(eval_data),
            );
            events.push(ev);
            let (_, ev) = emit(
                run,
                p,
                "lighthouse-service",
                "sh.keptn.event.evaluation.started",
                Some(&t2),
                json!({"status": "succeeded"}),
            );
            events.push(ev);
        }
        (Scenario::Evaluation(_), 3) => {
            let (t3, ev) = emit(
                run,
                p,
                "lighthouse-service",
                "sh.keptn.event.get-sli.triggered",
                None,
                json!({
                    "get-sli": {"sliProvider": "dynatrace", "start": "2024-03-05T10:11:13.002Z", "end": "2024-03-05T10:16:13.002Z", "indicators": ["trivy_vulns"]},
                    "deployment": ""
                }),
            );
            events.push(ev);
            let (_, ev) = emit(
                run,
                p,
                "dynatrace-service",
                "sh.keptn.event.get-sli.started",
                Some(&t3),
                json!({"status": "succeeded"}),
            );
            events.push(ev);
        }
        (Scenario::Evaluation(e), 4) => {
            let t2 = events
                .iter()
                .rev()
                .find(|x| {
                    x["shkeptncontext"] == run.ctx.as_str()
                        && x["type"] == "sh.keptn.event.evaluation.triggered"
                })
                .and_then(|x| x["id"].as_str())
                .unwrap_or_default()
                .to_owned();
            let mut data = json!({
                "status": e.status, "result": e.result,
                "evaluation": {
                    "timeStart": "2024-03-05T10:11:13.002Z", "timeEnd": "2024-03-05T10:16:13.002Z",
                    "result": e.result, "score": e.score,
                    "sloFileContent": "LS0tCnNwZWNfdmVyc2lvbjogIjAuMS4wIgo=",
                    "indicatorResults": e.indicator_results
                }
            });
            if !e.message.is_empty() {
                data["message"] = json!(e.message);
            }
            let (_, ev) = emit(
                run,
                p,
                "lighthouse-service",
                "sh.keptn.event.evaluation.finished",
                Some(&t2),
                data,
            );
            events.push(ev);
            run.latest_eval = Some((e.result.clone(), e.score));
            run.state = "finished";
            let tid = run.seq_triggered_id.clone();
            let (_, ev) = emit(
                run,
                p,
                "shipyard-controller",
                &seq_finished,
                Some(&tid),
                json!({"status": e.status, "result": e.result}),
            );
            events.push(ev);
        }
        _ => {} // NeverFinishes after step 1, and terminal runs: nothing changes.
    }
}

async fn sequence_state(
    State(app): State<App>,
    Path(project): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/api/controlPlane/v1/sequence/{project}");
    let resp = gate(&app, &headers, true).unwrap_or_else(|| sequence_answer(&app, &project, &q));
    record(&app, "GET", &path, &q, resp.status().as_u16(), &headers);
    resp
}

fn sequence_answer(app: &App, project: &str, q: &HashMap<String, String>) -> Response {
    if project != app.config.project {
        return keptn_error(
            StatusCode::NOT_FOUND,
            format!("project {project} not found"),
        );
    }
    if let Some(ps) = q.get("pageSize")
        && !ps.parse::<u32>().is_ok_and(|n| (1..=50).contains(&n))
    {
        return keptn_error(StatusCode::BAD_REQUEST, "pageSize must be between 1 and 50");
    }
    let wanted: Vec<&str> = if app.config.foreign_run.is_some() {
        Vec::new() // the filter is ignored
    } else {
        q.get("keptnContext")
            .map(|c| c.split(',').collect())
            .unwrap_or_default()
    };
    let config = app.config.clone();
    let mut guard = app.lock();
    let inner = &mut *guard;
    let mut states = Vec::new();
    for run in inner
        .runs
        .iter_mut()
        .filter(|r| wanted.is_empty() || wanted.contains(&r.ctx.as_str()))
    {
        run.polls += 1;
        if run.polls <= config.empty_polls {
            continue; // not registered yet (NATS is asynchronous)
        }
        if !matches!(config.scenario, Scenario::External) {
            advance(run, &config, &mut inner.events);
        }
        let latest = inner
            .events
            .iter()
            .rev()
            .find(|e| e["shkeptncontext"] == run.ctx.as_str())
            .map(|e| json!({"type": e["type"], "id": e["id"], "time": e["time"]}));
        let mut stage = json!({"name": run.stage, "state": run.state, "latestEvent": latest});
        if let Some((result, score)) = &run.latest_eval {
            stage["latestEvaluation"] = json!({"result": result, "score": score});
        }
        states.push(json!({
            "name": run.sequence, "service": run.service, "project": project,
            "time": now(), "shkeptncontext": run.ctx, "state": run.state, "stages": [stage]
        }));
    }
    let n = states.len();
    axum::Json(json!({"states": states, "nextPageKey": "0", "pageSize": n, "totalCount": n}))
        .into_response()
}

async fn datastore_events(
    State(app): State<App>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let resp = gate(&app, &headers, true).unwrap_or_else(|| datastore_answer(&app, &q));
    record(
        &app,
        "GET",
        "/api/mongodb-datastore/event",
        &q,
        resp.status().as_u16(),
        &headers,
    );
    resp
}

fn datastore_answer(app: &App, q: &HashMap<String, String>) -> Response {
    let page_size = match q.get("pageSize").map(|s| s.parse::<usize>()) {
        None => 20,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => {
            return keptn_error(
                StatusCode::BAD_REQUEST,
                "pageSize must be between 1 and 100",
            );
        }
    };
    let offset = match q.get("nextPageKey").map(|s| s.parse::<usize>()) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return keptn_error(StatusCode::BAD_REQUEST, "invalid nextPageKey"),
    };
    let Some(ctx) = q.get("keptnContext") else {
        // Our client always filters by context; an unfiltered read would be a bug.
        return keptn_error(
            StatusCode::BAD_REQUEST,
            "keptnContext or project is required",
        );
    };
    let inner = app.lock();
    let matching: Vec<Value> = inner
        .events
        .iter()
        .rev()
        .filter(|e| app.config.foreign_run.is_some() || e["shkeptncontext"] == ctx.as_str())
        .filter(|e| q.get("type").is_none_or(|t| e["type"] == t.as_str()))
        .cloned()
        .collect();
    let total = matching.len();
    let page: Vec<Value> = matching.into_iter().skip(offset).take(page_size).collect();
    let mut body = json!({"events": page, "totalCount": total, "pageSize": page_size});
    if offset + page_size < total {
        body["nextPageKey"] = json!((offset + page_size).to_string());
    }
    axum::Json(body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> reqwest::Client {
        http_policy::client_builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .unwrap()
    }

    fn seed_event() -> Value {
        json!({
            "specversion": "1.0", "source": "test", "type": "sh.keptn.event.main.demosequence.triggered",
            "contenttype": "application/json", "shkeptnspecversion": "0.2.3",
            "data": {"project": "trivyintegration", "stage": "main", "service": "trivyservice",
                     "labels": {"runBy": "x"}, "evaluation": {"timeframe": "5m"}}
        })
    }

    async fn post(fake: &FakeKeptn, token: &str, ev: &Value) -> (u16, Value) {
        let r = client()
            .post(format!("{}/v1/event", fake.api_url()))
            .header("x-token", token)
            .header("content-type", "application/json")
            .body(ev.to_string())
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn poll(fake: &FakeKeptn, ctx: &str) -> Value {
        client()
            .get(format!(
                "{}/controlPlane/v1/sequence/trivyintegration?keptnContext={ctx}",
                fake.api_url()
            ))
            .header("x-token", "tok")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn plays_a_passing_sequence() {
        let fake = FakeKeptn::start(FakeKeptnConfig::seed("tok"));
        let (status, body) = post(&fake, "tok", &seed_event()).await;
        assert_eq!(status, 200, "{body}");
        let ctx = body["keptnContext"].as_str().unwrap().to_owned();
        assert_eq!(poll(&fake, &ctx).await["states"], json!([]));
        assert_eq!(poll(&fake, &ctx).await["states"], json!([]));
        let mut last = String::new();
        for _ in 0..6 {
            last = poll(&fake, &ctx).await["states"][0]["state"]
                .as_str()
                .unwrap()
                .to_owned();
        }
        assert_eq!(last, "finished");
        let types: Vec<String> = fake
            .stored_events(&ctx)
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            types.first().unwrap(),
            "sh.keptn.event.main.demosequence.triggered"
        );
        assert!(
            types.contains(&"sh.keptn.event.evaluation.finished".to_owned()),
            "{types:?}"
        );
        let evs: Value = client()
            .get(format!("{}/mongodb-datastore/event?keptnContext={ctx}&type=sh.keptn.event.evaluation.finished", fake.api_url()))
            .header("x-token", "tok")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(evs["events"][0]["data"]["result"], "pass");
        assert_eq!(evs["events"][0]["data"]["labels"]["runBy"], "x");
        // The scan task saw the sequence's payload (§3 data flow).
        let scan = fake
            .stored_events(&ctx)
            .into_iter()
            .find(|e| e["type"] == "sh.keptn.event.securityscan.triggered")
            .unwrap();
        assert_eq!(scan["data"]["evaluation"]["timeframe"], "5m");
    }

    #[tokio::test]
    async fn rejects_like_keptn() {
        let fake = FakeKeptn::start(FakeKeptnConfig::seed("tok"));
        let (s, _) = post(&fake, "wrong", &seed_event()).await;
        assert_eq!(s, 401);
        type Mutation = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(Mutation, &str)> = vec![
            (
                Box::new(|e| e["type"] = json!("sh.keptn.event.main.demosequence.started")),
                "unknown event type action: started",
            ),
            (
                Box::new(|e| e["type"] = json!("sh.keptn.event.dev.demosequence.triggered")),
                "does not match",
            ),
            (
                Box::new(|e| e["data"]["service"] = json!("")),
                "mandatory field(s)",
            ),
            (
                Box::new(|e| e["data"]["project"] = json!("other")),
                "project other not found",
            ),
            (
                Box::new(|e| e["type"] = json!("sh.keptn.event.main.nosuch.triggered")),
                "sequence nosuch not found",
            ),
            (
                Box::new(|e| e["type"] = json!("sh.keptn.event.securityscan.started")),
                "triggeredid",
            ),
            (
                Box::new(|e| e["type"] = json!("sh.keptn.log.error")),
                "unknown event type",
            ),
            (Box::new(|e| e["time"] = json!("yesterday")), "RFC 3339"),
            (Box::new(|e| e["specversion"] = json!("0.2")), "specversion"),
            (Box::new(|e| e["Bad_Attr"] = json!("x")), "attribute name"),
        ];
        for (mutate, want) in cases {
            let mut ev = seed_event();
            mutate(&mut ev);
            let (s, body) = post(&fake, "tok", &ev).await;
            assert_eq!(s, 400, "{want}: {body}");
            assert_eq!(body["code"], 400);
            assert!(
                body["message"].as_str().unwrap().contains(want),
                "{want}: {body}"
            );
        }
        assert!(fake.received().is_empty());
    }

    fn task_event(ctx: &str, ty: &str, triggeredid: &str, extra: Value) -> Value {
        let mut data =
            json!({"project": "trivyintegration", "stage": "main", "service": "trivyservice"});
        if let (Value::Object(d), Value::Object(x)) = (&mut data, extra) {
            d.extend(x);
        }
        json!({
            "specversion": "1.0", "source": "test", "type": ty, "contenttype": "application/json",
            "shkeptncontext": ctx, "triggeredid": triggeredid, "data": data
        })
    }

    #[tokio::test]
    async fn an_external_party_moves_the_sequence_on() {
        let fake = FakeKeptn::start(FakeKeptnConfig::seed("tok").with_scenario(Scenario::External));
        let mut ev = seed_event();
        ev["data"]["scan"] = json!({"image": "x"});
        let (_, body) = post(&fake, "tok", &ev).await;
        let ctx = body["keptnContext"].as_str().unwrap().to_owned();
        let scans = fake.events_of_type("sh.keptn.event.securityscan.triggered");
        assert_eq!(scans.len(), 1);
        assert_eq!(scans[0]["data"]["scan"]["image"], "x");
        let scan_id = scans[0]["id"].as_str().unwrap().to_owned();
        // Polls alone change nothing.
        for _ in 0..5 {
            poll(&fake, &ctx).await;
        }
        assert!(
            fake.events_of_type("sh.keptn.event.evaluation.triggered")
                .is_empty()
        );
        // A finish for another trigger is stored but does not move the sequence.
        let stray = task_event(
            &ctx,
            "sh.keptn.event.securityscan.finished",
            "0f0f0f0f-0000-4000-8000-000000000000",
            json!({"status": "succeeded", "result": "pass"}),
        );
        assert_eq!(post(&fake, "tok", &stray).await.0, 200);
        assert!(
            fake.events_of_type("sh.keptn.event.evaluation.triggered")
                .is_empty()
        );
        let started = task_event(
            &ctx,
            "sh.keptn.event.securityscan.started",
            &scan_id,
            json!({}),
        );
        assert_eq!(post(&fake, "tok", &started).await.0, 200);
        let finished = task_event(
            &ctx,
            "sh.keptn.event.securityscan.finished",
            &scan_id,
            json!({"status": "succeeded", "result": "pass", "message": "m", "scan": {"extra": 1}}),
        );
        assert_eq!(post(&fake, "tok", &finished).await.0, 200);
        let evals = fake.events_of_type("sh.keptn.event.evaluation.triggered");
        assert_eq!(evals.len(), 1);
        // The sequence's data plus what the finished task added (its message is its own).
        assert_eq!(evals[0]["data"]["evaluation"]["timeframe"], "5m");
        assert_eq!(evals[0]["data"]["scan"], json!({"extra": 1}));
        assert_eq!(evals[0]["data"]["message"], Value::Null);
        let eval_id = evals[0]["id"].as_str().unwrap();
        let done = task_event(
            &ctx,
            "sh.keptn.event.evaluation.finished",
            eval_id,
            json!({"status": "succeeded", "result": "fail", "evaluation": {"score": 0}}),
        );
        assert_eq!(post(&fake, "tok", &done).await.0, 200);
        let state = poll(&fake, &ctx).await;
        assert_eq!(state["states"][0]["state"], "finished", "{state}");
        assert_eq!(
            state["states"][0]["stages"][0]["latestEvaluation"],
            json!({"result": "fail", "score": 0.0})
        );
        let seq = fake.events_of_type("sh.keptn.event.main.demosequence.finished");
        assert_eq!(seq[0]["data"]["result"], "fail");
    }

    #[tokio::test]
    async fn a_failed_external_task_ends_the_sequence() {
        let fake = FakeKeptn::start(FakeKeptnConfig::seed("tok").with_scenario(Scenario::External));
        let (_, body) = post(&fake, "tok", &seed_event()).await;
        let ctx = body["keptnContext"].as_str().unwrap().to_owned();
        let scan = &fake.events_of_type("sh.keptn.event.securityscan.triggered")[0];
        let failed = task_event(
            &ctx,
            "sh.keptn.event.securityscan.finished",
            scan["id"].as_str().unwrap(),
            json!({"status": "errored", "result": "fail", "message": "exit 3"}),
        );
        assert_eq!(post(&fake, "tok", &failed).await.0, 200);
        assert!(
            fake.events_of_type("sh.keptn.event.evaluation.triggered")
                .is_empty()
        );
        let seq = fake.events_of_type("sh.keptn.event.main.demosequence.finished");
        assert_eq!(
            (
                seq[0]["data"]["status"].as_str(),
                seq[0]["data"]["result"].as_str()
            ),
            (Some("errored"), Some("fail"))
        );
    }

    #[tokio::test]
    async fn throttles_every_nth_get() {
        let fake = FakeKeptn::start(FakeKeptnConfig::seed("tok").with_throttle(2));
        let (_, body) = post(&fake, "tok", &seed_event()).await;
        let ctx = body["keptnContext"].as_str().unwrap();
        let url = format!(
            "{}/controlPlane/v1/sequence/trivyintegration?keptnContext={ctx}",
            fake.api_url()
        );
        let a = client()
            .get(&url)
            .header("x-token", "tok")
            .send()
            .await
            .unwrap()
            .status();
        let b = client()
            .get(&url)
            .header("x-token", "tok")
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!((a.as_u16(), b.as_u16()), (200, 429));
        assert_eq!(fake.throttled(), 1);
    }
}
