//! A strict fake of Dynatrace's Metrics API v2 query endpoint (`GET /api/v2/metrics/query`),
//! for reading SLIs back as keptn's dynatrace-service does.
//!
//! It runs on its own thread and runtime (usable from sync CLI tests and async tests alike),
//! binds 127.0.0.1:0, and checks every request the way the real API would refuse it:
//! `Authorization: Api-Token <token>` (401 otherwise), `Accept` (406), known parameters only,
//! no duplicates, a syntactically sane `metricSelector`, `resolution` (`Inf`, a count, or a
//! step such as `10m`), and `from`/`to`. Answers use the real JSON shape: `totalCount`,
//! `nextPageKey`, `resolution`, `result[{metricId, dataPointCountRatio, dimensionCountRatio,
//! data[{dimensions, dimensionMap, timestamps, values}]}]`, and error bodies
//! `{"error":{"code":…,"message":…}}`.
//!
//! Answers are scripted per metric key: one value, no data, several series, a `null` value, or
//! an HTTP status (401, 5xx, ...). An unscripted key is a 404, as for an unknown metric. A single
//! value queried without `resolution=Inf` comes back as three data points, as a time-series
//! answer would, so a client that forgets `resolution=Inf` notices.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

/// What the fake answers for one metric key.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// One series (dimensions `image`, `tag`) with this value.
    Value(f64),
    /// The metric exists but has no data in the window: a collection with no series.
    NoData,
    /// Several series: `(dimensionMap, value)` each.
    Series(Vec<(BTreeMap<String, String>, f64)>),
    /// One series whose only slot is `null`.
    NullValue,
    /// An HTTP error status with the API's error body.
    Status(u16),
}

/// One request as the fake saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedQuery {
    /// Query parameters in request order.
    pub params: Vec<(String, String)>,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The status the fake answered with.
    pub status: u16,
}

impl RecordedQuery {
    /// The first value of a parameter.
    #[must_use]
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Default)]
struct Script {
    token: String,
    answers: BTreeMap<String, Answer>,
    /// Answer the next `n` requests with this status, before anything else.
    fail_next: Option<(u32, u16)>,
    requests: Vec<RecordedQuery>,
}

/// The running fake; stopped on drop.
#[derive(Debug)]
pub struct DynatraceQueryFake {
    url: String,
    state: Arc<Mutex<Script>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DynatraceQueryFake {
    /// Starts the fake; requests must carry `Authorization: Api-Token <token>`.
    ///
    /// # Panics
    /// When no loopback port can be bound (the test cannot run anyway).
    #[must_use]
    pub fn start(token: &str) -> Self {
        let state = Arc::new(Mutex::new(Script {
            token: token.to_owned(),
            ..Script::default()
        }));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = Router::new()
            .route("/api/v2/metrics/query", get(query))
            .with_state(Arc::clone(&state));
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            });
        });
        Self {
            url,
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// The environment URL (`http://127.0.0.1:PORT`), what `DT_TENANT` would hold.
    #[must_use]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Scripts the answer for a metric key (the selector's key, transformations stripped).
    pub fn answer(&self, metric_key: &str, answer: Answer) {
        self.lock().answers.insert(metric_key.to_owned(), answer);
    }

    /// Answers the next `n` requests with `status` (for retry tests), then resumes the script.
    pub fn fail_next(&self, n: u32, status: u16) {
        self.lock().fail_next = Some((n, status));
    }

    /// Every request seen so far.
    #[must_use]
    pub fn requests(&self) -> Vec<RecordedQuery> {
        self.lock().requests.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Script> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for DynatraceQueryFake {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn error(status: u16, message: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        code,
        Json(json!({"error": {"code": status, "message": message}})),
    )
        .into_response()
}

fn violation(message: &str, parameter: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": {
            "code": 400,
            "message": format!("Constraints violated. {message}"),
            "constraintViolations": [{"path": parameter, "message": message, "parameterLocation": "QUERY", "location": null}]
        }})),
    )
        .into_response()
}

async fn query(
    State(state): State<Arc<Mutex<Script>>>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut script = state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let resp = answer(&mut script, &headers, authorization.as_deref(), &params);
    script.requests.push(RecordedQuery {
        params,
        authorization,
        status: resp.status().as_u16(),
    });
    resp
}

fn answer(
    script: &mut Script,
    headers: &HeaderMap,
    authorization: Option<&str>,
    params: &[(String, String)],
) -> Response {
    let Some(auth) = authorization else {
        return error(401, "Missing authorization parameter.");
    };
    if auth != format!("Api-Token {}", script.token) {
        return error(401, "Token Authentication failed");
    }
    if let Some(accept) = headers.get("accept").and_then(|v| v.to_str().ok())
        && !(accept.contains("application/json") || accept.contains("*/*"))
    {
        return error(406, "Not Acceptable: use application/json or text/csv");
    }
    if let Some((n, status)) = script.fail_next {
        script.fail_next = (n > 1).then(|| (n - 1, status));
        return error(status, "scripted failure");
    }
    let mut seen: Vec<&str> = Vec::new();
    for (k, _) in params {
        if !matches!(
            k.as_str(),
            "metricSelector" | "resolution" | "from" | "to" | "entitySelector" | "mzSelector"
        ) {
            return violation(&format!("unknown parameter `{k}`"), k);
        }
        if seen.contains(&k.as_str()) {
            return violation(&format!("parameter `{k}` given twice"), k);
        }
        seen.push(k);
    }
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let Some(selector) = get("metricSelector").filter(|s| !s.trim().is_empty()) else {
        return violation("metricSelector must not be empty", "metricSelector");
    };
    let key = match check_selector(selector) {
        Ok(k) => k,
        Err(e) => {
            return error(
                400,
                &format!("The metric selector `{selector}` is invalid: {e}"),
            );
        }
    };
    let resolution = get("resolution").unwrap_or("120");
    if !valid_resolution(resolution) {
        return violation(&format!("invalid resolution `{resolution}`"), "resolution");
    }
    let (from, to) = (get("from"), get("to"));
    for (name, t) in [("from", from), ("to", to)] {
        if let Some(t) = t
            && !valid_time(t)
        {
            return violation(&format!("invalid timestamp `{t}`"), name);
        }
    }
    let to_ms = to.and_then(|t| t.parse::<i64>().ok());
    if let (Some(f), Some(t)) = (from.and_then(|f| f.parse::<i64>().ok()), to_ms)
        && f >= t
    {
        return violation("the start of the timeframe must be before its end", "from");
    }
    let Some(answer) = script.answers.get(&key).cloned() else {
        return error(404, &format!("Metric key '{key}' not found"));
    };
    let end = to_ms.unwrap_or(1_700_000_000_000);
    let inf = resolution == "Inf";
    let series = |dims: &BTreeMap<String, String>, value: Value| -> Value {
        let (timestamps, values) = if inf {
            (vec![json!(end)], vec![value])
        } else {
            (
                vec![json!(end - 120_000), json!(end - 60_000), json!(end)],
                vec![Value::Null, value.clone(), value],
            )
        };
        json!({
            "dimensions": dims.values().collect::<Vec<_>>(),
            "dimensionMap": dims,
            "timestamps": timestamps,
            "values": values,
        })
    };
    let default_dims: BTreeMap<String, String> = [
        ("image".to_owned(), "nginx".to_owned()),
        ("tag".to_owned(), "1.21.1".to_owned()),
    ]
    .into();
    let data: Vec<Value> = match answer {
        Answer::Status(s) => return error(s, "scripted status"),
        Answer::Value(v) => vec![series(&default_dims, json!(v))],
        Answer::NullValue => vec![series(&default_dims, Value::Null)],
        Answer::NoData => vec![],
        Answer::Series(list) => list.iter().map(|(d, v)| series(d, json!(v))).collect(),
    };
    let body = json!({
        "totalCount": data.len(),
        "nextPageKey": null,
        "resolution": if inf { "Inf".to_owned() } else { "1m".to_owned() },
        "result": [{
            "metricId": selector,
            "dataPointCountRatio": 1.2e-6,
            "dimensionCountRatio": 3.0e-5,
            "data": data,
        }],
    });
    (StatusCode::OK, Json(body)).into_response()
}

/// Balanced parentheses and closed quotes; returns the leading metric key.
fn check_selector(sel: &str) -> Result<String, String> {
    let mut depth = 0i32;
    let mut in_quote = false;
    let mut escaped = false;
    for c in sel.chars() {
        if in_quote {
            if escaped {
                escaped = false;
            } else if c == '~' {
                escaped = true;
            } else if c == '"' {
                in_quote = false;
            }
            continue;
        }
        match c {
            '"' => in_quote = true,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err("unbalanced `)`".to_owned());
                }
            }
            c if c.is_control() => return Err("control character".to_owned()),
            _ => {}
        }
    }
    if in_quote {
        return Err("unterminated quote".to_owned());
    }
    if depth != 0 {
        return Err("unbalanced `(`".to_owned());
    }
    let skip = ["builtin:", "ext:", "calc:", "func:"]
        .iter()
        .find(|p| sel.starts_with(*p))
        .map_or(0, |p| p.len());
    let end = sel[skip..].find(':').map_or(sel.len(), |i| i + skip);
    let key = &sel[..end];
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'))
    {
        return Err(format!("`{key}` is not a metric key"));
    }
    if let Some(rest) = sel.get(end..).filter(|r| !r.is_empty()) {
        // Each transformation: `:name` or `:name(args)`.
        for part in split_top_level(&rest[1..]) {
            let name: String = part.chars().take_while(char::is_ascii_alphabetic).collect();
            if name.is_empty() {
                return Err(format!("bad transformation `:{part}`"));
            }
        }
    }
    Ok(key.to_owned())
}

fn split_top_level(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start, mut in_quote) = (0i32, 0usize, false);
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_quote = !in_quote,
            '(' if !in_quote => depth += 1,
            ')' if !in_quote => depth -= 1,
            ':' if !in_quote && depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn valid_resolution(r: &str) -> bool {
    if r == "Inf" || (!r.is_empty() && r.chars().all(|c| c.is_ascii_digit())) {
        return true;
    }
    let Some(unit) = r.chars().last() else {
        return false;
    };
    let num = &r[..r.len() - unit.len_utf8()];
    "mhdwMqy".contains(unit) && !num.is_empty() && num.chars().all(|c| c.is_ascii_digit())
}

fn valid_time(t: &str) -> bool {
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
        return true;
    }
    if t.starts_with("now") {
        return true;
    }
    t.parse::<jiff::Timestamp>().is_ok() || t.parse::<jiff::civil::DateTime>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        assert_eq!(
            check_selector("trivy.vulnerabilities.CRITICAL:merge(\"image\"):max").unwrap(),
            "trivy.vulnerabilities.CRITICAL"
        );
        assert_eq!(
            check_selector("builtin:service.response.time:percentile(95)").unwrap(),
            "builtin:service.response.time"
        );
        assert!(check_selector("a:filter(eq(\"x\",\"y\")").is_err());
        assert!(check_selector("a:filter(eq(\"x)))").is_err());
        assert!(check_selector("a b").is_err());
        assert!(check_selector("a::max").is_err());
    }

    #[test]
    fn resolutions_and_times() {
        for ok in ["Inf", "120", "10m", "1h", "2M"] {
            assert!(valid_resolution(ok), "{ok}");
        }
        for bad in ["inf", "", "m", "10x", "-1"] {
            assert!(!valid_resolution(bad), "{bad}");
        }
        assert!(valid_time("1700000000000"));
        assert!(valid_time("now-2h"));
        assert!(valid_time("2021-01-25T05:57:01.123+01:00"));
        assert!(!valid_time("yesterday"));
    }
}
