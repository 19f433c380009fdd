//! SLIs from Dynatrace: the Metrics API v2 query endpoint, as keptn-contrib/dynatrace-service
//! uses it for sli.yaml queries (`GET /api/v2/metrics/query`, `Authorization: Api-Token …`).
//!
//! Each sli.yaml entry is a `metricSelector=…[&entitySelector=…][&resolution=…][&mzSelector=…]`
//! string. The window goes into `from`/`to` (epoch milliseconds). When the query sets no
//! `resolution`, `resolution=Inf` is sent so that each series collapses to one value over the
//! window (what dynatrace-service falls back to when a query returns several values).
//!
//! The answer must be exactly one series collection holding exactly one series with exactly one
//! non-null value; anything else fails the SLI with dynatrace-service's message. No data is a
//! failed SLI, never a silent 0. A query Dynatrace rejects (400, 404 unknown metric) fails that
//! SLI; 401/403 and unreachable or failing servers are a [`ProviderError`].

use std::collections::BTreeMap;

use http_policy::{Redaction, RetryPolicy, excerpt, redact_url, secret_header, send_with_retry};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use url::Url;

use crate::provider::{Keys, Outcome, Reading, ResultConvention, SliProvider, SliQuery};
use crate::query::{DynatraceQuery, parse_dynatrace_query, substitute_dynatrace};
use crate::{ProviderError, Window};

/// A Dynatrace environment to read SLIs from.
#[derive(Debug, Clone)]
pub struct DynatraceProvider {
    /// Environment URL (`https://abc12345.live.dynatrace.com`, or `…/e/<env-id>` for Managed).
    pub base_url: Url,
    /// API token with the `metrics.read` scope. Never logged.
    pub token: SecretString,
    /// The HTTP client (timeouts, user agent) from `http_policy::HttpConfig::client`.
    pub http: reqwest::Client,
    /// How often to retry transport errors, 408, 429 and 5xx.
    pub retry: RetryPolicy,
    /// Removes secrets from the server text in each SLI's message (default: nothing).
    pub redaction: Redaction,
}

#[derive(Debug, Deserialize)]
struct MetricData {
    // Required: the Metrics API always sends `result`; a 200 without it (a proxy's JSON, a
    // different API) is a protocol error (exit 3), not "no data".
    result: Vec<SeriesCollection>,
}

#[derive(Debug, Deserialize)]
struct SeriesCollection {
    #[serde(default, rename = "metricId")]
    metric_id: String,
    #[serde(default)]
    data: Vec<Series>,
    #[serde(default)]
    warnings: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Series {
    #[serde(default, rename = "dimensionMap")]
    dimension_map: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<Option<f64>>,
}

#[derive(Debug, Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: String,
}

impl DynatraceProvider {
    /// A provider with the default retry policy.
    #[must_use]
    pub fn new(base_url: Url, token: SecretString, http: reqwest::Client) -> Self {
        Self {
            base_url,
            token,
            http,
            retry: RetryPolicy::default(),
            redaction: Redaction::default(),
        }
    }

    fn query_url(&self) -> Url {
        let mut url = self.base_url.clone();
        url.set_query(None);
        url.set_fragment(None);
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.pop_if_empty()
                .extend(["api", "v2", "metrics", "query"]);
        }
        url
    }

    /// Runs one metrics query over `window` and reduces it to one value.
    ///
    /// The outer `Result` is the backend; the inner one is the SLI (value or failure message).
    ///
    /// # Errors
    /// [`ProviderError`] when Dynatrace could not be asked, refused the token, or answered
    /// outside the API contract.
    pub async fn query(
        &self,
        q: &DynatraceQuery,
        window: &Window,
    ) -> Result<Outcome, ProviderError> {
        let url = self.query_url();
        let shown = redact_url(&url);
        let auth = secret_header("Api-Token ", self.token.expose_secret())?;
        let mut params: Vec<(&str, String)> = vec![
            ("metricSelector", q.metric_selector.clone()),
            ("from", window.start.as_millisecond().to_string()),
            ("to", window.end.as_millisecond().to_string()),
            (
                "resolution",
                q.resolution.clone().unwrap_or_else(|| "Inf".to_owned()),
            ),
        ];
        if let Some(e) = &q.entity_selector {
            params.push(("entitySelector", e.clone()));
        }
        if let Some(m) = &q.mz_selector {
            params.push(("mzSelector", m.clone()));
        }
        tracing::debug!(metric_selector = %q.metric_selector, "Dynatrace metrics query");
        let resp = send_with_retry(&self.retry, &shown, || {
            self.http
                .get(url.clone())
                .header(reqwest::header::AUTHORIZATION, auth.clone())
                .header(reqwest::header::ACCEPT, "application/json")
                .query(&params)
        })
        .await?;
        let status = resp.status().as_u16();
        let body = http_policy::read_text(resp, http_policy::QUERY_RESPONSE_LIMIT)
            .await
            .map_err(|e| ProviderError::Protocol {
                url: shown.clone(),
                reason: e.to_string(),
            })?;
        if status == 400 || status == 404 {
            let msg = serde_json::from_str::<ErrorEnvelope>(&body)
                .map(|e| excerpt(&e.error.message))
                .unwrap_or_else(|_| excerpt(&body));
            return Ok(Err(format!(
                "Dynatrace Metrics API returned an error: HTTP {status}: {msg}"
            )));
        }
        if !(200..300).contains(&status) {
            return Err(ProviderError::Status {
                url: shown,
                status,
                body: excerpt(&body),
            });
        }
        let data: MetricData =
            serde_json::from_str(&body).map_err(|e| ProviderError::Protocol {
                url: shown.clone(),
                reason: format!("not a Metrics API v2 response ({e}): {}", excerpt(&body)),
            })?;
        Ok(reduce(&data))
    }
}

impl SliProvider for DynatraceProvider {
    fn reading(&self) -> Reading {
        Reading {
            source: "Dynatrace",
            value: "the sli.yaml `metricSelector=...` over the window, one value (resolution=Inf unless the query sets one)",
            keys: Keys::Query,
            convention: ResultConvention::AnyFailed,
        }
    }

    async fn query(&self, sli: &SliQuery<'_>) -> Result<Outcome, ProviderError> {
        match parse_dynatrace_query(&substitute_dynatrace(sli.query, sli.context)) {
            Err(e) => Ok(Err(format!("could not parse metrics query: {e}"))),
            // The inherent Metrics API call, not this trait method.
            Ok(q) => Self::query(self, &q, sli.window).await,
        }
    }

    fn redact(&self, message: String) -> String {
        self.redaction.apply(&message)
    }

    fn check_window(&self, window: &Window) {
        // dynatrace-service waits until 2 minutes after the window before querying, because
        // ingested data needs that long to become queryable. A local gate does not sleep; it
        // says so.
        let age = jiff::Timestamp::now().duration_since(window.end);
        if age < jiff::SignedDuration::from_mins(2) {
            tracing::warn!(
                "the evaluation window ended less than 2 minutes ago; Dynatrace may not have all data points yet"
            );
        }
    }
}

fn with_warnings(msg: &str, warnings: &[String]) -> String {
    if warnings.is_empty() {
        msg.to_owned()
    } else {
        format!("{msg}. Warnings: {}", warnings.join(", "))
    }
}

/// dynatrace-service's `processMetricsQuery`: one collection, one series, one non-null value.
fn reduce(data: &MetricData) -> Result<f64, String> {
    let collection = match data.result.as_slice() {
        [] => return Err("Dynatrace Metrics API failed to return a result".to_owned()),
        [one] => one,
        _ => {
            return Err(
                "expected only a single result from Dynatrace Metrics API but got multiple"
                    .to_owned(),
            );
        }
    };
    let w = &collection.warnings;
    let series = match collection.data.as_slice() {
        [] => {
            return Err(with_warnings(
                &format!(
                    "Dynatrace Metrics API returned zero data points (no data for `{}` in the window)",
                    collection.metric_id
                ),
                w,
            ));
        }
        [one] => one,
        many => {
            let dims: Vec<String> = many
                .iter()
                .take(3)
                .map(|s| {
                    let kv: Vec<String> = s
                        .dimension_map
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect();
                    format!("{{{}}}", kv.join(","))
                })
                .collect();
            return Err(with_warnings(
                &format!(
                    "expected only a single data point from Dynatrace Metrics API but got multiple ({} series, e.g. {}); pin the dimensions with :filter(...) or collapse them with :splitBy()",
                    many.len(),
                    dims.join(", ")
                ),
                w,
            ));
        }
    };
    match series.values.as_slice() {
        [] => Err(with_warnings(
            "Dynatrace Metrics API returned zero data point values",
            w,
        )),
        [Some(v)] => Ok(*v),
        [None] => Err(with_warnings("Metrics API v2 returned 'null' as value", w)),
        _ => Err(with_warnings(
            "expected only a single data point value from Dynatrace Metrics API but got multiple",
            w,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(json: &str) -> MetricData {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn reduction_like_dynatrace_service() {
        let one = d(
            r#"{"totalCount":1,"nextPageKey":null,"resolution":"Inf","result":[{"metricId":"m","dataPointCountRatio":0.1,"dimensionCountRatio":0.1,"data":[{"dimensions":["nginx"],"dimensionMap":{"image":"nginx"},"timestamps":[1],"values":[8]}]}]}"#,
        );
        assert_eq!(reduce(&one), Ok(8.0));
        let none = d(r#"{"result":[{"metricId":"m","data":[]}]}"#);
        assert!(reduce(&none).unwrap_err().contains("zero data points"));
        let empty = d(r#"{"result":[]}"#);
        assert!(
            reduce(&empty)
                .unwrap_err()
                .contains("failed to return a result")
        );
        let two = d(
            r#"{"result":[{"metricId":"m","data":[{"dimensionMap":{"image":"a"},"values":[1]},{"dimensionMap":{"image":"b"},"values":[2]}]}]}"#,
        );
        let e = reduce(&two).unwrap_err();
        assert!(e.contains("got multiple (2 series"), "{e}");
        assert!(e.contains("image=a"), "{e}");
        let null = d(r#"{"result":[{"metricId":"m","data":[{"values":[null]}]}]}"#);
        assert!(reduce(&null).unwrap_err().contains("'null'"));
        let many_points = d(r#"{"result":[{"metricId":"m","data":[{"values":[1,2]}]}]}"#);
        assert!(
            reduce(&many_points)
                .unwrap_err()
                .contains("single data point value")
        );
        let warn = d(r#"{"result":[{"metricId":"m","warnings":["w1"],"data":[]}]}"#);
        assert!(reduce(&warn).unwrap_err().ends_with("Warnings: w1"));
    }

    #[test]
    fn token_is_not_in_debug() {
        let p = DynatraceProvider::new(
            Url::parse("https://abc.live.dynatrace.com").unwrap(),
            SecretString::from("dt0c01.SECRETSECRET"),
            http_policy::client_builder().build().unwrap(),
        );
        assert!(!format!("{p:?}").contains("SECRETSECRET"));
        assert_eq!(
            p.query_url().as_str(),
            "https://abc.live.dynatrace.com/api/v2/metrics/query"
        );
    }
}
