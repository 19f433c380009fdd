//! PrometheusProvider against the real Pushgateway and Prometheus.

use std::collections::BTreeMap;
use std::time::Duration;

use http_policy::{HttpConfig, RetryPolicy};
use jiff::{SignedDuration, Timestamp};
use sli_provider::prometheus::PrometheusProvider;
use sli_provider::{QueryContext, Window};

use crate::fetch_ext::FetchExt as _;
use test_support::prometheus::{Prometheus, Pushgateway};

const METRICS: &str = "# TYPE trivy_image_vulnerabilities gauge
trivy_image_vulnerabilities{image_registry=\"index.docker.io\",image_repository=\"library/nginx\",image_tag=\"1.21.1\",severity=\"Critical\"} 6
trivy_image_vulnerabilities{image_registry=\"index.docker.io\",image_repository=\"library/nginx\",image_tag=\"1.21.1\",severity=\"High\"} 9
";

fn queries(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn instant_queries_against_real_prometheus() {
    let pg = Pushgateway::start().expect("pushgateway");
    pg.push_text("/metrics/job/trivy/instance/nginx", METRICS)
        .expect("push");
    let prom = Prometheus::start_scraping(&pg).expect("prometheus");
    let critical = "max(trivy_image_vulnerabilities{image_repository=\"library/nginx\",severity=\"Critical\"})";
    assert_eq!(
        prom.wait_for_value(critical, Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("{e}\n{}", prom.log())),
        6.0
    );

    let provider = PrometheusProvider {
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
        ..PrometheusProvider::new(
            prom.url().parse().unwrap(),
            HttpConfig::default().client().unwrap(),
        )
    };
    let window = Window::ending_at(Timestamp::now(), SignedDuration::from_mins(5));
    let ctx = QueryContext {
        labels: [("repo".to_owned(), "library/nginx".to_owned())].into(),
        filters: vec![("sev".to_owned(), "'High'".to_owned())],
        ..QueryContext::default()
    };
    let q = queries(&[
        ("critical", critical),
        // $LABEL.<key> and a filter ($sev, quotes stripped) as prometheus-service substitutes them.
        (
            "high",
            "max(trivy_image_vulnerabilities{image_repository=\"$LABEL.repo\",severity=\"$sev\"})",
        ),
        // $DURATION_SECONDS becomes 300s.
        (
            "high_over_window",
            "max(max_over_time(trivy_image_vulnerabilities{severity=\"High\"}[$DURATION_SECONDS]))",
        ),
        (
            "nodata",
            "max(trivy_image_vulnerabilities{severity=\"Unknown\"})",
        ),
        ("several", "trivy_image_vulnerabilities"),
        ("broken", "max(trivy_image_vulnerabilities{"),
        (
            "scalar",
            "scalar(max(trivy_image_vulnerabilities{severity=\"Critical\"}))",
        ),
    ]);
    let names: Vec<String> = [
        "critical",
        "high",
        "high_over_window",
        "nodata",
        "several",
        "broken",
        "scalar",
        "undefined",
        "critical",
    ]
    .map(str::to_owned)
    .to_vec();
    let got = provider
        .fetch(&names, &q, &window, &ctx)
        .await
        .expect("prometheus answers");
    let by: Vec<(&str, Result<f64, String>)> = got
        .iter()
        .map(|i| (i.name.as_str(), i.outcome.clone()))
        .collect();
    assert_eq!(by[0], ("critical", Ok(6.0)));
    assert_eq!(by[1], ("high", Ok(9.0)));
    assert_eq!(by[2], ("high_over_window", Ok(9.0)));
    assert_eq!(
        by[3].1,
        Err("query did not return any values".to_owned()),
        "no data is a failed SLI, never 0"
    );
    let several = by[4].1.clone().unwrap_err();
    assert!(
        several.starts_with("query did return multiple values (2 series"),
        "{several}"
    );
    let broken = by[5].1.clone().unwrap_err();
    assert!(
        broken.starts_with("unable to query prometheus api: bad_data:"),
        "{broken}"
    );
    assert_eq!(by[6].1, Ok(6.0));
    assert!(
        by[7]
            .1
            .clone()
            .unwrap_err()
            .contains("no query for SLI `undefined`")
    );
    assert_eq!(
        by[8],
        ("critical", Ok(6.0)),
        "duplicates are answered again, as Keptn's providers do"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn unreachable_prometheus_is_a_provider_error() {
    let addr = test_support::net::refused_addr();
    let provider = PrometheusProvider {
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(10),
        },
        ..PrometheusProvider::new(
            format!("http://{addr}").parse().unwrap(),
            HttpConfig::default().client().unwrap(),
        )
    };
    let w = Window::ending_at(Timestamp::now(), SignedDuration::from_mins(5));
    let err = provider
        .fetch(
            &["x".to_owned()],
            &queries(&[("x", "up")]),
            &w,
            &QueryContext::default(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("2 attempts"), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn endless_or_oversized_answers_are_refused_at_the_limit() {
    use test_support::raw_http::{Act, RawServer};
    for act in [
        Act::Endless(200, "application/json"),
        Act::DeclaredLength(200, "application/json", 1 << 40),
        Act::Endless(400, "application/json"),
    ] {
        let server = RawServer::always(act);
        let provider = PrometheusProvider {
            retry: RetryPolicy::with_retries(0),
            ..PrometheusProvider::new(
                server.url().parse().unwrap(),
                HttpConfig::default().client().unwrap(),
            )
        };
        let w = Window::ending_at(Timestamp::now(), SignedDuration::from_mins(5));
        let err = provider
            .fetch(
                &["x".to_owned()],
                &queries(&[("x", "up")]),
                &w,
                &QueryContext::default(),
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("larger than 16 MiB"), "{err}");
    }
}
