//! SLIs from Prometheus: every sli.yaml PromQL query runs as an instant query at the end of the
//! evaluation window, as keptn-contrib/prometheus-service does
//! (`GET /api/v1/query?query=<PromQL>&time=<end>`).
//!
//! Per-SLI outcomes follow prometheus-service's `GetSLIValue`: exactly one sample is the value;
//! an empty vector is "query did not return any values"; several series are "query did return
//! multiple values"; NaN or an unparseable sample is "query did not return valid values". A
//! query Prometheus rejects (400/422) fails that SLI with Prometheus' own error text. Only a
//! backend that cannot be asked at all (transport errors, 5xx after retries, 401/403/404) is a
//! [`ProviderError`].

use std::collections::BTreeMap;

use http_policy::{Redaction, RetryPolicy, excerpt, redact_url, send_with_retry};
use jiff::Timestamp;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use url::Url;

use crate::ProviderError;
use crate::provider::{Keys, Outcome, Reading, ResultConvention, SliProvider, SliQuery};
use crate::query::substitute_prometheus;

/// A Prometheus HTTP API endpoint to read SLIs from.
#[derive(Debug, Clone)]
pub struct PrometheusProvider {
    /// Base URL of the Prometheus server (`http://prometheus:9090`, or a path prefix behind a proxy).
    pub base_url: Url,
    /// The HTTP client (timeouts, user agent) from `http_policy::HttpConfig::client`.
    pub http: reqwest::Client,
    /// How often to retry transport errors, 408, 429 and 5xx.
    pub retry: RetryPolicy,
    /// Removes secrets from the server text in each SLI's message (default: nothing).
    pub redaction: Redaction,
    /// Extra headers sent with every query (for example an `Authorization` for a proxy;
    /// mark secret values sensitive).
    pub headers: HeaderMap,
}

#[derive(Debug, Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<QueryData>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct QueryData {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

#[derive(Debug, Deserialize)]
struct VectorSample {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    value: (serde_json::Value, String),
}

impl PrometheusProvider {
    /// A provider with the default retry policy and no extra headers.
    #[must_use]
    pub fn new(base_url: Url, http: reqwest::Client) -> Self {
        Self {
            base_url,
            http,
            retry: RetryPolicy::default(),
            redaction: Redaction::default(),
            headers: HeaderMap::new(),
        }
    }

    fn query_url(&self) -> Url {
        let mut url = self.base_url.clone();
        url.set_query(None);
        url.set_fragment(None);
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.pop_if_empty().extend(["api", "v1", "query"]);
        }
        url
    }

    /// Runs one instant query at `at` and reduces the answer to one value.
    ///
    /// The outer `Result` is the backend; the inner one is the SLI (value or failure message).
    ///
    /// # Errors
    /// [`ProviderError`] when Prometheus could not be asked or answered outside the API contract.
    pub async fn instant_query(
        &self,
        promql: &str,
        at: Timestamp,
    ) -> Result<Outcome, ProviderError> {
        let url = self.query_url();
        let shown = redact_url(&url);
        let time = prometheus_time(at);
        tracing::debug!(query = promql, time = %time, "Prometheus instant query");
        let resp = send_with_retry(&self.retry, &shown, || {
            self.http
                .get(url.clone())
                .headers(self.headers.clone())
                .header(reqwest::header::ACCEPT, "application/json")
                .query(&[("query", promql), ("time", time.as_str())])
        })
        .await?;
        let status = resp.status();
        let body = http_policy::read_text(resp, http_policy::QUERY_RESPONSE_LIMIT)
            .await
            .map_err(|e| ProviderError::Protocol {
                url: shown.clone(),
                reason: e.to_string(),
            })?;
        if status.as_u16() == 400 || status.as_u16() == 422 {
            // The query itself is wrong (bad_data) or cannot be executed (execution): this SLI
            // fails, the others may still work.
            return Ok(Err(match serde_json::from_str::<Envelope>(&body) {
                Ok(env) => format!(
                    "unable to query prometheus api: {}: {}",
                    env.error_type.as_deref().unwrap_or("error"),
                    env.error.as_deref().unwrap_or("no error text")
                ),
                Err(_) => format!(
                    "unable to query prometheus api: HTTP {status}: {}",
                    excerpt(&body)
                ),
            }));
        }
        if !status.is_success() {
            return Err(ProviderError::Status {
                url: shown,
                status: status.as_u16(),
                body: excerpt(&body),
            });
        }
        let env: Envelope = serde_json::from_str(&body).map_err(|e| ProviderError::Protocol {
            url: shown.clone(),
            reason: format!("not a Prometheus API response ({e}): {}", excerpt(&body)),
        })?;
        for w in &env.warnings {
            tracing::warn!(query = promql, warning = %w, "Prometheus returned a warning");
        }
        if env.status != "success" {
            return Ok(Err(format!(
                "unable to query prometheus api: {}: {}",
                env.error_type.as_deref().unwrap_or("error"),
                env.error.as_deref().unwrap_or("no error text")
            )));
        }
        let Some(data) = env.data else {
            return Err(ProviderError::Protocol {
                url: shown,
                reason: "status success without data".to_owned(),
            });
        };
        reduce(&data, &shown)
    }
}

impl SliProvider for PrometheusProvider {
    fn reading(&self) -> Reading {
        Reading {
            source: "Prometheus",
            value: "the sli.yaml PromQL as an instant query at the end of the window",
            keys: Keys::Query,
            convention: ResultConvention::SomeWarnAllFail,
        }
    }

    async fn query(&self, sli: &SliQuery<'_>) -> Result<Outcome, ProviderError> {
        let promql = substitute_prometheus(sli.query, sli.context, sli.window);
        self.instant_query(&promql, sli.window.end).await
    }

    fn redact(&self, message: String) -> String {
        self.redaction.apply(&message)
    }
}

/// `time=` as Prometheus accepts it: unix seconds, with milliseconds when there are any.
fn prometheus_time(at: Timestamp) -> String {
    let ms = at.as_millisecond();
    if ms % 1000 == 0 {
        (ms / 1000).to_string()
    } else {
        format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
    }
}

fn reduce(data: &QueryData, url: &str) -> Result<Result<f64, String>, ProviderError> {
    let protocol = |reason: String| ProviderError::Protocol {
        url: url.to_owned(),
        reason,
    };
    match data.result_type.as_str() {
        "vector" => {
            let samples: Vec<VectorSample> = serde_json::from_value(data.result.clone())
                .map_err(|e| protocol(format!("malformed vector result: {e}")))?;
            match samples.as_slice() {
                [] => Ok(Err("query did not return any values".to_owned())),
                [one] => Ok(parse_sample(&one.value.1)),
                many => {
                    let series: Vec<String> =
                        many.iter().take(3).map(|s| describe(&s.metric)).collect();
                    Ok(Err(format!(
                        "query did return multiple values ({} series, e.g. {})",
                        many.len(),
                        series.join(", ")
                    )))
                }
            }
        }
        // One value by construction (`scalar(...)`, `1+1`); prometheus-service would reject it
        // as "not a Vector", but there is nothing ambiguous to refuse.
        "scalar" => {
            let (_, v): (serde_json::Value, String) =
                serde_json::from_value(data.result.clone())
                    .map_err(|e| protocol(format!("malformed scalar result: {e}")))?;
            Ok(parse_sample(&v))
        }
        other => Ok(Err(format!(
            "prometheus api response is not a Vector but a {other}; use an instant-vector query"
        ))),
    }
}

fn parse_sample(raw: &str) -> Result<f64, String> {
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!(
            "query did not return valid values (sample `{raw}`)"
        )),
    }
}

fn describe(metric: &BTreeMap<String, String>) -> String {
    let name = metric.get("__name__").map_or("", String::as_str);
    let labels: Vec<String> = metric
        .iter()
        .filter(|(k, _)| *k != "__name__")
        .map(|(k, v)| format!("{k}=\"{v}\""))
        .collect();
    format!("{name}{{{}}}", labels.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(json: &str) -> QueryData {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn time_parameter() {
        assert_eq!(
            prometheus_time(Timestamp::from_second(1_700_000_000).unwrap()),
            "1700000000"
        );
        assert_eq!(
            prometheus_time(Timestamp::from_millisecond(1_700_000_000_250).unwrap()),
            "1700000000.250"
        );
    }

    #[test]
    fn reduction_rules() {
        let one = data(r#"{"resultType":"vector","result":[{"metric":{},"value":[1.5,"6"]}]}"#);
        assert_eq!(reduce(&one, "u").unwrap(), Ok(6.0));
        let none = data(r#"{"resultType":"vector","result":[]}"#);
        assert_eq!(
            reduce(&none, "u").unwrap(),
            Err("query did not return any values".to_owned())
        );
        let two = data(
            r#"{"resultType":"vector","result":[{"metric":{"__name__":"m","a":"1"},"value":[1,"1"]},{"metric":{"a":"2"},"value":[1,"2"]}]}"#,
        );
        let e = reduce(&two, "u").unwrap().unwrap_err();
        assert!(
            e.starts_with("query did return multiple values (2 series"),
            "{e}"
        );
        assert!(e.contains("m{a=\"1\"}"), "{e}");
        let nan = data(r#"{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}"#);
        assert!(reduce(&nan, "u").unwrap().is_err());
        let scalar = data(r#"{"resultType":"scalar","result":[1,"3.5"]}"#);
        assert_eq!(reduce(&scalar, "u").unwrap(), Ok(3.5));
        let matrix = data(r#"{"resultType":"matrix","result":[]}"#);
        assert!(reduce(&matrix, "u").unwrap().is_err());
        let broken = data(r#"{"resultType":"vector","result":{"x":1}}"#);
        assert!(reduce(&broken, "u").is_err());
    }

    #[test]
    fn query_url_keeps_a_path_prefix() {
        let p = PrometheusProvider::new(
            Url::parse("http://127.0.0.1:9090/prom").unwrap(),
            http_policy::client_builder().build().unwrap(),
        );
        assert_eq!(
            p.query_url().as_str(),
            "http://127.0.0.1:9090/prom/api/v1/query"
        );
        let p = PrometheusProvider::new(
            Url::parse("http://127.0.0.1:9090/").unwrap(),
            http_policy::client_builder().build().unwrap(),
        );
        assert_eq!(p.query_url().as_str(), "http://127.0.0.1:9090/api/v1/query");
    }
}
