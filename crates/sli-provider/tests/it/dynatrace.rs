//! DynatraceProvider against the strict Metrics API v2 query fake.

use std::collections::BTreeMap;
use std::time::Duration;

use http_policy::{HttpConfig, RetryPolicy};
use jiff::Timestamp;
use secrecy::SecretString;
use sli_provider::dynatrace::DynatraceProvider;
use sli_provider::{QueryContext, Window};

use crate::fetch_ext::FetchExt as _;

use test_support::dynatrace_query::{Answer, DynatraceQueryFake};

const TOKEN: &str = "dt0c01.TESTTOKEN.SECRETPART";

fn provider(fake: &DynatraceQueryFake, token: &str) -> DynatraceProvider {
    DynatraceProvider {
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        },
        ..DynatraceProvider::new(
            fake.url().parse().unwrap(),
            SecretString::from(token.to_owned()),
            HttpConfig::default().client().unwrap(),
        )
    }
}

fn window() -> Window {
    Window {
        start: "2026-11-22T07:00:00Z".parse::<Timestamp>().unwrap(),
        end: "2026-11-22T07:05:00Z".parse::<Timestamp>().unwrap(),
    }
}

fn q(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn reduces_like_dynatrace_service() {
    let fake = DynatraceQueryFake::start(TOKEN);
    fake.answer("trivy.vulnerabilities.CRITICAL", Answer::Value(8.0));
    fake.answer("trivy.vulnerabilities.HIGH", Answer::NoData);
    fake.answer(
        "trivy.vulnerabilities.MEDIUM",
        Answer::Series(vec![
            ([("image".to_owned(), "nginx".to_owned())].into(), 3.0),
            ([("image".to_owned(), "mysql".to_owned())].into(), 4.0),
        ]),
    );
    fake.answer("trivy.vulnerabilities.LOW", Answer::NullValue);
    let queries = q(&[
        (
            "critical",
            "metricSelector=trivy.vulnerabilities.CRITICAL:filter(and(eq(\"image\",\"$LABEL.image\"))):splitBy():max",
        ),
        ("high", "metricSelector=trivy.vulnerabilities.HIGH"),
        (
            "medium",
            "metricSelector=trivy.vulnerabilities.MEDIUM&resolution=Inf",
        ),
        ("low", "metricSelector=trivy.vulnerabilities.LOW"),
        (
            "unknown_metric",
            "metricSelector=trivy.vulnerabilities.UNKNOWN",
        ),
        ("bad_query", "metricSelector=a&metricSelector=b"),
        (
            "ten_minutes",
            "metricSelector=trivy.vulnerabilities.CRITICAL&resolution=10m",
        ),
    ]);
    let ctx = QueryContext {
        labels: [("image".to_owned(), "nginx".to_owned())].into(),
        ..QueryContext::default()
    };
    let names: Vec<String> = [
        "critical",
        "high",
        "medium",
        "low",
        "unknown_metric",
        "bad_query",
        "ten_minutes",
    ]
    .map(str::to_owned)
    .to_vec();
    let got = provider(&fake, TOKEN)
        .fetch(&names, &queries, &window(), &ctx)
        .await
        .expect("answers");
    assert_eq!(got[0].outcome, Ok(8.0));
    let msg = |i: usize| got[i].outcome.clone().unwrap_err();
    assert!(
        msg(1).starts_with("Dynatrace Metrics API returned zero data points"),
        "{}",
        msg(1)
    );
    assert!(msg(2).contains("got multiple (2 series"), "{}", msg(2));
    assert!(msg(3).contains("'null'"), "{}", msg(3));
    assert!(msg(4).contains("HTTP 404"), "{}", msg(4));
    assert!(msg(5).contains("duplicate query parameter"), "{}", msg(5));
    // Without resolution=Inf a series has several points: dynatrace-service refuses that.
    assert!(msg(6).contains("single data point value"), "{}", msg(6));

    let reqs = fake.requests();
    // bad_query never reached the server.
    assert_eq!(reqs.len(), 6);
    let first = &reqs[0];
    assert_eq!(
        first.authorization.as_deref(),
        Some(format!("Api-Token {TOKEN}").as_str())
    );
    assert_eq!(
        first.param("metricSelector"),
        Some("trivy.vulnerabilities.CRITICAL:filter(and(eq(\"image\",\"nginx\"))):splitBy():max")
    );
    assert_eq!(first.param("resolution"), Some("Inf"));
    assert_eq!(first.param("from"), Some("1795330800000"));
    assert_eq!(first.param("to"), Some("1795331100000"));
}

#[tokio::test(flavor = "current_thread")]
async fn a_refused_token_is_a_provider_error_without_the_token() {
    let fake = DynatraceQueryFake::start(TOKEN);
    fake.answer("m", Answer::Value(1.0));
    let err = provider(&fake, "dt0c01.WRONG.WRONGSECRET")
        .fetch(
            &["x".to_owned()],
            &q(&[("x", "metricSelector=m")]),
            &window(),
            &QueryContext::default(),
        )
        .await
        .unwrap_err();
    assert!(err.is_auth(), "{err}");
    assert!(err.to_string().contains("401"), "{err}");
    assert!(!err.to_string().contains("WRONGSECRET"), "{err}");
    assert_eq!(fake.requests().len(), 1, "401 is not retried");
}

#[tokio::test(flavor = "current_thread")]
async fn server_errors_are_retried_then_fail_the_backend() {
    let fake = DynatraceQueryFake::start(TOKEN);
    fake.answer("m", Answer::Value(5.0));
    fake.fail_next(1, 503);
    let p = provider(&fake, TOKEN);
    let names = ["x".to_owned()];
    let queries = q(&[("x", "metricSelector=m")]);
    let got = p
        .fetch(&names, &queries, &window(), &QueryContext::default())
        .await
        .unwrap();
    assert_eq!(got[0].outcome, Ok(5.0), "one 503 then success");
    fake.fail_next(10, 500);
    let err = p
        .fetch(&names, &queries, &window(), &QueryContext::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("HTTP 500 Internal Server Error after 3 attempts"),
        "{err}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_query_dynatrace_rejects_fails_only_that_sli() {
    let fake = DynatraceQueryFake::start(TOKEN);
    fake.answer("m", Answer::Value(2.0));
    let got = provider(&fake, TOKEN)
        .fetch(
            &["bad".to_owned(), "good".to_owned()],
            &q(&[
                ("bad", "metricSelector=m:filter(eq(\"a\",\"b\")"),
                ("good", "metricSelector=m"),
            ]),
            &window(),
            &QueryContext::default(),
        )
        .await
        .unwrap();
    let bad = got[0].outcome.clone().unwrap_err();
    assert!(
        bad.contains("HTTP 400") && bad.contains("unbalanced"),
        "{bad}"
    );
    assert_eq!(got[1].outcome, Ok(2.0));
}

#[tokio::test(flavor = "current_thread")]
async fn the_fake_is_strict() {
    let fake = DynatraceQueryFake::start(TOKEN);
    fake.answer("m", Answer::Value(1.0));
    let client = http_policy::client_builder().build().unwrap();
    let url = format!("{}/api/v2/metrics/query", fake.url());
    let get = |params: Vec<(&'static str, &'static str)>, auth: Option<&str>, accept: &str| {
        let mut r = client.get(&url).query(&params).header("Accept", accept);
        if let Some(a) = auth {
            r = r.header("Authorization", a.to_owned());
        }
        r.send()
    };
    let auth = format!("Api-Token {TOKEN}");
    let ok = get(
        vec![("metricSelector", "m"), ("resolution", "Inf")],
        Some(&auth),
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), 200);
    let body: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(body["totalCount"], 1);
    assert!(body["nextPageKey"].is_null());
    assert_eq!(body["resolution"], "Inf");
    let series = &body["result"][0];
    assert_eq!(series["metricId"], "m");
    assert!(series["dataPointCountRatio"].is_number() && series["dimensionCountRatio"].is_number());
    assert_eq!(series["data"][0]["dimensionMap"]["image"], "nginx");
    assert_eq!(series["data"][0]["values"], serde_json::json!([1.0]));

    type Params = Vec<(&'static str, &'static str)>;
    let cases: Vec<(Params, Option<&str>, &str, u16)> = vec![
        (vec![("metricSelector", "m")], None, "application/json", 401),
        (
            vec![("metricSelector", "m")],
            Some("Api-Token wrong"),
            "application/json",
            401,
        ),
        (
            vec![("metricSelector", "m")],
            Some(&auth),
            "application/xml",
            406,
        ),
        (
            vec![("metricSelector", "m"), ("bogus", "1")],
            Some(&auth),
            "application/json",
            400,
        ),
        (
            vec![("metricSelector", "m"), ("metricSelector", "m")],
            Some(&auth),
            "application/json",
            400,
        ),
        (
            vec![("resolution", "Inf")],
            Some(&auth),
            "application/json",
            400,
        ),
        (
            vec![("metricSelector", "m"), ("resolution", "inf")],
            Some(&auth),
            "application/json",
            400,
        ),
        (
            vec![("metricSelector", "m"), ("from", "2"), ("to", "1")],
            Some(&auth),
            "application/json",
            400,
        ),
        (
            vec![("metricSelector", "m"), ("from", "yesterday")],
            Some(&auth),
            "application/json",
            400,
        ),
        (
            vec![("metricSelector", "nope")],
            Some(&auth),
            "application/json",
            404,
        ),
    ];
    for (params, a, accept, want) in cases {
        let r = get(params.clone(), a, accept).await.unwrap();
        assert_eq!(r.status(), want, "{params:?} {a:?} {accept}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], want, "{body}");
    }
    assert_eq!(fake.requests().len(), 11);
}

#[tokio::test(flavor = "current_thread")]
async fn endless_or_oversized_answers_are_refused_at_the_limit() {
    use test_support::raw_http::{Act, RawServer};
    for act in [
        Act::Endless(200, "application/json"),
        Act::DeclaredLength(200, "application/json", 1 << 40),
        Act::Endless(404, "application/json"),
    ] {
        let server = RawServer::always(act);
        let provider = DynatraceProvider {
            retry: RetryPolicy::with_retries(0),
            ..DynatraceProvider::new(
                server.url().parse().unwrap(),
                SecretString::from(TOKEN.to_owned()),
                HttpConfig::default().client().unwrap(),
            )
        };
        let names = vec!["x".to_owned()];
        let queries = q(&[("x", "metricSelector=builtin:host.cpu.usage:max")]);
        let err = provider
            .fetch(&names, &queries, &window(), &QueryContext::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("larger than 16 MiB"), "{err}");
        assert!(!err.to_string().contains("SECRETPART"), "{err}");
    }
}
