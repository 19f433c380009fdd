//! A strict in-process fake of the Dynatrace metrics API (ingest line protocol, the local
//! OneAgent endpoint, and a small part of the query API).
//!
//! It validates every line against the metric ingestion protocol and answers like the API:
//! 202 with `linesOk`, 400 partial acceptance listing invalid lines (1-based), 401 for a
//! missing or wrong `Api-Token`, 413 over its size limit, and whatever the test scripts
//! (429 with `Retry-After`, 503 forever, slow answers). It runs on its own thread and runtime, so
//! it serves both async tests and tests that block on a child process.
//!
//! State is a `pub` struct behind `Arc<Mutex<_>>` ([`FakeDynatrace::state`]) so other test
//! modules can seed data points for the query side.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The token the fake accepts by default (classic token shape; not a real secret).
pub const TOKEN: &str = "dt0c01.FAKEPUBLICID0000000000000.FAKESECRETPART000000000000000000000000000000000000000000000000";

/// A test server on a thread of its own; stopped (tasks cancelled) on drop.
#[derive(Debug)]
pub struct ServerThread {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerThread {
    /// Serves `router` on 127.0.0.1 (free port) from a new thread with its own runtime.
    ///
    /// # Panics
    /// When no loopback port can be bound (the test cannot run at all then).
    #[must_use]
    pub fn serve(router: axum::Router) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                tokio::select! {
                    r = axum::serve(listener, router) => { let _ = r; }
                    _ = stopped => {}
                }
            });
        });
        Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The bound address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What the fake does with the next request (scripted) or with every request (fallback).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Reply {
    /// Validate and answer like the API (202 / 400 partial / 401 / 413 / 415).
    #[default]
    Normal,
    /// Answer this status with an `ErrorEnvelope` body, without looking at the request.
    Status(u16),
    /// Like `Status`, with a `Retry-After: <seconds>` header.
    StatusRetryAfter(u16, u64),
    /// Sleep, then handle normally.
    Delay(Duration),
}

/// One ingest request as received.
#[derive(Debug, Clone)]
pub struct IngestRequest {
    /// Request path (`/api/v2/metrics/ingest` or `/metrics/ingest`).
    pub path: String,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The body (lossy UTF-8).
    pub body: String,
    /// The status the fake answered.
    pub status: u16,
}

/// One stored data point (a valid line).
#[derive(Debug, Clone, PartialEq)]
pub struct DataPoint {
    /// Metric key.
    pub key: String,
    /// Dimensions, unescaped.
    pub dimensions: BTreeMap<String, String>,
    /// The value (for gauge summaries: `sum / count`... here: the `max`).
    pub value: f64,
    /// The raw line.
    pub line: String,
}

/// Everything the fake knows; `pub` so tests (and other helpers) can inspect and seed it.
#[derive(Debug)]
pub struct DtState {
    /// Token required on the tenant routes; `None` accepts requests without one.
    pub token: Option<String>,
    /// Replies for the next requests, in order; then `fallback`.
    pub script: VecDeque<Reply>,
    /// Reply once the script is used up.
    pub fallback: Reply,
    /// Largest body accepted (1 MB like the API); larger gets 413.
    pub max_body_bytes: usize,
    /// Metric keys whose lines are refused (as when a key is already used with another
    /// payload type), with the error text.
    pub reject_keys: Vec<(String, String)>,
    /// Every ingest request, in arrival order.
    pub requests: Vec<IngestRequest>,
    /// Every accepted data point.
    pub stored: Vec<DataPoint>,
}

impl Default for DtState {
    fn default() -> Self {
        Self {
            token: Some(TOKEN.to_owned()),
            script: VecDeque::new(),
            fallback: Reply::Normal,
            max_body_bytes: 1_000_000,
            reject_keys: Vec::new(),
            requests: Vec::new(),
            stored: Vec::new(),
        }
    }
}

/// The fake Dynatrace server.
#[derive(Debug)]
pub struct FakeDynatrace {
    state: Arc<Mutex<DtState>>,
    server: ServerThread,
}

type Shared = Arc<Mutex<DtState>>;

fn lock(s: &Shared) -> MutexGuard<'_, DtState> {
    s.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl FakeDynatrace {
    /// Starts a fake tenant requiring [`TOKEN`].
    #[must_use]
    pub fn start() -> Self {
        Self::start_with_token(Some(TOKEN))
    }

    /// Starts a fake tenant requiring `token` (`None`: no token needed).
    #[must_use]
    pub fn start_with_token(token: Option<&str>) -> Self {
        let state: Shared = Arc::new(Mutex::new(DtState {
            token: token.map(str::to_owned),
            ..DtState::default()
        }));
        let router = axum::Router::new()
            .route(
                "/api/v2/metrics/ingest",
                axum::routing::post(|s: State<Shared>, h: HeaderMap, b: Bytes| async move {
                    ingest(s.0, h, b, false).await
                }),
            )
            .route(
                "/metrics/ingest",
                axum::routing::post(|s: State<Shared>, h: HeaderMap, b: Bytes| async move {
                    ingest(s.0, h, b, true).await
                }),
            )
            .route("/api/v2/metrics/query", axum::routing::get(query))
            .with_state(state.clone());
        Self {
            state,
            server: ServerThread::serve(router),
        }
    }

    /// `http://127.0.0.1:<port>` (the "tenant" base URL).
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// The local OneAgent-style endpoint, `http://127.0.0.1:<port>/metrics/ingest` (no token).
    #[must_use]
    pub fn oneagent_url(&self) -> String {
        format!("{}/metrics/ingest", self.url())
    }

    /// The shared state, for tests and helpers that need more than the methods below.
    #[must_use]
    pub fn state(&self) -> Arc<Mutex<DtState>> {
        self.state.clone()
    }

    /// Queues replies for the next requests.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        lock(&self.state).script.extend(replies);
    }

    /// Sets the reply used once the script is empty.
    pub fn set_fallback(&self, reply: Reply) {
        lock(&self.state).fallback = reply;
    }

    /// Sets the body size above which the fake answers 413.
    pub fn set_max_body_bytes(&self, n: usize) {
        lock(&self.state).max_body_bytes = n;
    }

    /// Refuses lines with this metric key, with `reason` as the error text.
    pub fn reject_key(&self, key: &str, reason: &str) {
        lock(&self.state)
            .reject_keys
            .push((key.to_owned(), reason.to_owned()));
    }

    /// Every ingest request so far.
    #[must_use]
    pub fn requests(&self) -> Vec<IngestRequest> {
        lock(&self.state).requests.clone()
    }

    /// Number of ingest requests so far.
    #[must_use]
    pub fn request_count(&self) -> usize {
        lock(&self.state).requests.len()
    }

    /// Every accepted line, in order.
    #[must_use]
    pub fn lines(&self) -> Vec<String> {
        lock(&self.state)
            .stored
            .iter()
            .map(|d| d.line.clone())
            .collect()
    }

    /// Every accepted data point.
    #[must_use]
    pub fn stored(&self) -> Vec<DataPoint> {
        lock(&self.state).stored.clone()
    }
}

fn envelope(status: u16, message: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        json!({"error": {"code": status, "message": message}}).to_string(),
    )
        .into_response()
}

fn auth_error(state: &DtState, headers: &HeaderMap) -> Option<Response> {
    let want = state.token.as_ref()?;
    match headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        None => Some(envelope(401, "Missing authorization parameter.")),
        Some(v) if v == format!("Api-Token {want}") => None,
        Some(_) => Some(envelope(401, "Token Authentication failed")),
    }
}

async fn ingest(state: Shared, headers: HeaderMap, body: Bytes, oneagent: bool) -> Response {
    let reply = {
        let mut s = lock(&state);
        let fallback = s.fallback.clone();
        s.script.pop_front().unwrap_or(fallback)
    };
    if let Reply::Delay(d) = &reply {
        tokio::time::sleep(*d).await;
    }
    let mut s = lock(&state);
    let (response, status) = decide(&mut s, &reply, &headers, &body, oneagent);
    s.requests.push(IngestRequest {
        path: if oneagent {
            "/metrics/ingest"
        } else {
            "/api/v2/metrics/ingest"
        }
        .to_owned(),
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: String::from_utf8_lossy(&body).into_owned(),
        status,
    });
    response
}

fn decide(
    s: &mut DtState,
    reply: &Reply,
    headers: &HeaderMap,
    body: &[u8],
    oneagent: bool,
) -> (Response, u16) {
    match reply {
        Reply::Status(code) => return (envelope(*code, "scripted failure"), *code),
        Reply::StatusRetryAfter(code, secs) => {
            let mut r = envelope(*code, "Too many requests");
            if let Ok(v) = secs.to_string().parse() {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return (r, *code);
        }
        Reply::Normal | Reply::Delay(_) => {}
    }
    if !oneagent && let Some(r) = auth_error(s, headers) {
        return (r, 401);
    }
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase()
        .replace(' ', "");
    if !(ct.starts_with("text/plain") && ct.contains("charset=utf-8")) {
        return (
            envelope(
                415,
                "Unsupported Media Type: expected text/plain; charset=utf-8",
            ),
            415,
        );
    }
    if body.len() > s.max_body_bytes {
        return (envelope(413, "Payload Too Large"), 413);
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return (envelope(400, "The payload is not valid UTF-8"), 400);
    };
    let physical: Vec<&str> = text.split('\n').collect();
    let non_empty = physical.iter().filter(|l| !l.is_empty()).count();
    if oneagent && non_empty > 1000 {
        return (envelope(400, "More than 1000 lines in one request"), 400);
    }
    let mut ok = 0u64;
    let mut invalid = Vec::new();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    for (i, line) in physical.iter().enumerate() {
        if line.is_empty() {
            continue;
        }
        match validate_line(line, now_ms) {
            Ok(Some(dp)) => {
                if let Some((_, reason)) = s.reject_keys.iter().find(|(k, _)| *k == dp.key) {
                    invalid.push(json!({"line": i + 1, "error": reason}));
                } else {
                    ok += 1;
                    s.stored.push(dp);
                }
            }
            Ok(None) => ok += 1,
            Err(e) => invalid.push(json!({"line": i + 1, "error": e})),
        }
    }
    let ok_field = if oneagent { "linesValid" } else { "linesOk" };
    if invalid.is_empty() {
        let body = json!({ok_field: ok, "linesInvalid": 0, "error": null, "warnings": null});
        return (
            (
                StatusCode::ACCEPTED,
                [(header::CONTENT_TYPE, "application/json")],
                body.to_string(),
            )
                .into_response(),
            202,
        );
    }
    let n = invalid.len();
    let body = json!({
        ok_field: ok,
        "linesInvalid": n,
        "error": {"code": 400, "message": format!("{n} invalid lines"), "invalidLines": invalid},
        "warnings": null,
    });
    (
        (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response(),
        400,
    )
}

/// Validates one line of the metric ingestion protocol. `Ok(None)` for a metadata line.
///
/// # Errors
/// The reason, phrased like the API.
pub fn validate_line(line: &str, now_ms: i64) -> Result<Option<DataPoint>, String> {
    if line.len() > 50_000 {
        return Err("line is longer than 50000 characters".into());
    }
    if line.chars().any(|c| c == '\r' || c.is_control()) {
        return Err("line contains control characters".into());
    }
    if let Some(meta) = line.strip_prefix('#') {
        let mut parts = meta.splitn(3, ' ');
        let key = parts.next().unwrap_or_default();
        validate_key(key)?;
        match parts.next() {
            Some("gauge" | "count") => {}
            _ => return Err("metadata line needs a payload type (gauge or count)".into()),
        }
        return Ok(None);
    }
    let key_end = line
        .find([',', ' '])
        .ok_or("missing payload: expected `key[,dimensions] value`")?;
    let key = &line[..key_end];
    validate_key(key)?;
    let mut rest = &line[key_end..];
    let mut dimensions = BTreeMap::new();
    let mut dim_count = 0;
    while let Some(r) = rest.strip_prefix(',') {
        let eq = r.find('=').ok_or("dimension without `=`")?;
        let dkey = &r[..eq];
        validate_dimension_key(dkey)?;
        let (value, after) = parse_dimension_value(&r[eq + 1..])?;
        if value.chars().count() > 250 {
            return Err(format!(
                "dimension value of `{dkey}` is longer than 250 characters"
            ));
        }
        if value.is_empty() {
            return Err(format!("dimension `{dkey}` has an empty value"));
        }
        dim_count += 1;
        dimensions.insert(dkey.to_owned(), value);
        rest = after;
    }
    if dim_count > 50 {
        return Err("more than 50 dimensions".into());
    }
    let rest = rest
        .strip_prefix(' ')
        .ok_or("expected a space before the payload")?;
    let mut tokens = rest.split(' ');
    let payload = tokens.next().unwrap_or_default();
    let value = parse_payload(payload)?;
    if let Some(ts) = tokens.next() {
        let ts: i64 = ts
            .parse()
            .map_err(|_| format!("invalid timestamp `{ts}`"))?;
        if ts < now_ms - 3_600_000 || ts > now_ms + 600_000 {
            return Err("timestamp outside the accepted window (now-1h .. now+10min)".into());
        }
    }
    if tokens.next().is_some() {
        return Err("unexpected content after the timestamp".into());
    }
    Ok(Some(DataPoint {
        key: key.to_owned(),
        dimensions,
        value,
        line: line.to_owned(),
    }))
}

fn validate_key(key: &str) -> Result<(), String> {
    if !(3..=250).contains(&key.len()) {
        return Err(format!(
            "metric key `{key}` must be 3 to 250 characters long"
        ));
    }
    if key.starts_with("dt.") {
        return Err(format!("metric key `{key}` uses the reserved prefix dt."));
    }
    for (i, section) in key.split('.').enumerate() {
        let first = section
            .chars()
            .next()
            .ok_or(format!("metric key `{key}` has an empty section"))?;
        if (i == 0 && !(first.is_ascii_alphabetic() || first == '_'))
            || (i > 0 && !(first.is_ascii_alphanumeric() || first == '_'))
        {
            return Err(format!(
                "metric key `{key}`: invalid section start `{first}`"
            ));
        }
        if let Some(c) = section
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(format!(
                "metric key `{key}` contains invalid character `{c}`"
            ));
        }
    }
    Ok(())
}

fn validate_dimension_key(key: &str) -> Result<(), String> {
    if key.is_empty() || key.len() > 100 {
        return Err(format!(
            "dimension key `{key}` must be 1 to 100 characters long"
        ));
    }
    if key.starts_with("dt.") && !key.starts_with("dt.entity.") {
        return Err(format!(
            "dimension key `{key}` uses the reserved prefix dt."
        ));
    }
    for section in key.split('.') {
        let first = section
            .chars()
            .next()
            .ok_or(format!("dimension key `{key}` has an empty section"))?;
        if !(first.is_ascii_lowercase() || first == '_') {
            return Err(format!(
                "dimension key `{key}`: invalid section start `{first}`"
            ));
        }
        if let Some(c) = section.chars().find(|c| {
            !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | ':'))
        }) {
            return Err(format!(
                "dimension key `{key}` contains invalid character `{c}`"
            ));
        }
    }
    Ok(())
}

/// A quoted (`"…"` with `\"` and `\\`) or unquoted (backslash-escaped `, = space " \`) value;
/// returns the unescaped value and the rest of the line.
fn parse_dimension_value(s: &str) -> Result<(String, &str), String> {
    let mut out = String::new();
    if let Some(inner) = s.strip_prefix('"') {
        let mut chars = inner.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, e @ ('"' | '\\'))) => out.push(e),
                    _ => return Err("invalid escape sequence in a quoted dimension value".into()),
                },
                '"' => {
                    let rest = &inner[i + 1..];
                    if !(rest.starts_with(',') || rest.starts_with(' ')) {
                        return Err("unexpected character after a quoted dimension value".into());
                    }
                    return Ok((out, rest));
                }
                c => out.push(c),
            }
        }
        Err("unterminated quoted dimension value".into())
    } else {
        let mut chars = s.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, e @ (',' | '=' | ' ' | '"' | '\\'))) => out.push(e),
                    _ => return Err("invalid escape sequence in a dimension value".into()),
                },
                ',' | ' ' => return Ok((out, &s[i..])),
                '"' | '=' => return Err(format!("unescaped `{c}` in a dimension value")),
                c => out.push(c),
            }
        }
        Err("missing payload after the dimensions".into())
    }
}

fn parse_number(s: &str) -> Result<f64, String> {
    let bad = || format!("invalid number `{s}`");
    let lower = s.to_ascii_lowercase();
    if lower.contains("nan") || lower.contains("inf") {
        return Err(format!("{s} is not a finite number"));
    }
    if lower.contains('e') && !lower.contains('.') {
        return Err(format!(
            "{s} uses scientific notation without a decimal point"
        ));
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
    {
        return Err(bad());
    }
    let v: f64 = s.parse().map_err(|_| bad())?;
    if v.is_finite() { Ok(v) } else { Err(bad()) }
}

fn parse_payload(p: &str) -> Result<f64, String> {
    if let Some(rest) = p.strip_prefix("gauge,") {
        if rest.starts_with("min=") {
            let mut fields = BTreeMap::new();
            for kv in rest.split(',') {
                let (k, v) = kv.split_once('=').ok_or("invalid gauge summary")?;
                fields.insert(k, parse_number(v)?);
            }
            let (Some(min), Some(max), Some(_sum), Some(count)) = (
                fields.get("min"),
                fields.get("max"),
                fields.get("sum"),
                fields.get("count"),
            ) else {
                return Err("gauge summary needs min, max, sum and count".into());
            };
            if fields.len() != 4 || min > max || *count < 1.0 || count.fract() != 0.0 {
                return Err("invalid gauge summary".into());
            }
            return Ok(*max);
        }
        return parse_number(rest);
    }
    if let Some(rest) = p.strip_prefix("count,delta=") {
        return parse_number(rest);
    }
    if p.starts_with("count") {
        return Err("count payload needs delta=".into());
    }
    parse_number(p)
}

#[derive(serde::Deserialize)]
struct QueryParams {
    #[serde(rename = "metricSelector")]
    metric_selector: Option<String>,
}

/// `GET /api/v2/metrics/query?metricSelector=<key>`: the last value per dimension set, as a
/// `MetricData` with `resolution=Inf`. Only bare keys are understood (400 otherwise).
async fn query(State(state): State<Shared>, headers: HeaderMap, q: Query<QueryParams>) -> Response {
    let s = lock(&state);
    if let Some(r) = auth_error(&s, &headers) {
        return r;
    }
    let Some(selector) = q.metric_selector.as_deref() else {
        return envelope(400, "metricSelector is required");
    };
    if selector.contains(['(', ',', ':']) {
        return envelope(400, "this fake understands bare metric keys only");
    }
    let mut series: Vec<(BTreeMap<String, String>, f64)> = Vec::new();
    for dp in s.stored.iter().filter(|d| d.key == selector) {
        match series.iter_mut().find(|(d, _)| *d == dp.dimensions) {
            Some(slot) => slot.1 = dp.value,
            None => series.push((dp.dimensions.clone(), dp.value)),
        }
    }
    if series.is_empty() && !s.stored.iter().any(|d| d.key == selector) {
        return envelope(404, &format!("The metric key `{selector}` was not found"));
    }
    let now = jiff::Timestamp::now().as_millisecond();
    let data: Vec<_> = series
        .iter()
        .map(|(d, v)| {
            json!({
                "dimensions": d.values().collect::<Vec<_>>(),
                "dimensionMap": d,
                "timestamps": [now],
                "values": [v],
            })
        })
        .collect();
    let body = json!({
        "totalCount": 1,
        "nextPageKey": null,
        "resolution": "Inf",
        "result": [{"metricId": selector, "data": data}],
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_validator_is_strict() {
        let now = jiff::Timestamp::now().as_millisecond();
        let ok = |l: &str| validate_line(l, now).map(|d| d.map(|d| d.value));
        assert_eq!(
            ok("trivy.vulnerabilities.CRITICAL,image=\"nginx\",tag=\"1\" 8"),
            Ok(Some(8.0))
        );
        assert_eq!(ok("a.b.c,image=x\\ y gauge,2.5"), Ok(Some(2.5)));
        assert_eq!(ok("a.b.c gauge,min=1,max=2,sum=3,count=2"), Ok(Some(2.0)));
        assert_eq!(ok("#a.b.c gauge dt.meta.unit=count"), Ok(None));
        for bad in [
            "1abc 1",
            "ab 1",
            "dt.x.y 1",
            "a..b 1",
            "a.b.c,Image=\"x\" 1",
            "a.b.c,image=\"x 1",
            "a.b.c,image=\"\" 1",
            "a.b.c,image=\"a\\q\" 1",
            "a.b.c 1e10",
            "a.b.c NaN",
            "a.b.c count,5",
            "a.b.c gauge,min=3,max=2,sum=3,count=1",
            "a.b.c 1 12",
            "a.b.c1",
            "a.b.c 1 2 3",
            "a.b.c,dt.foo=\"x\" 1",
        ] {
            assert!(ok(bad).is_err(), "{bad} should be invalid");
        }
    }
}
