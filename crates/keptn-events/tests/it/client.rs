//! The API client against the stateful fake Keptn API and against misbehaving servers.

use std::time::Duration;

use http_policy::{HttpConfig, RetryPolicy};
use keptn_events::client::{ErrorKind, KeptnClient, SequenceStatus};
use keptn_events::{CloudEvent, CommonData, EventType, KeptnContext, Phase};
use secrecy::SecretString;
use serde_json::json;
use test_support::keptn::{FakeKeptn, FakeKeptnConfig};

const TOKEN: &str = "client-test-token";

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    }
}

fn client(url: &str, token: &str, http: &HttpConfig) -> KeptnClient {
    KeptnClient::new(
        url.parse().unwrap(),
        SecretString::from(token),
        http,
        fast(),
    )
    .unwrap()
}

fn seed_event(service: &str) -> CloudEvent<CommonData> {
    CloudEvent::builder()
        .event_type(EventType::sequence("main", "demosequence", Phase::Triggered).unwrap())
        .source("client-test")
        .data(
            CommonData::new("trivyintegration", "main", service)
                .with("evaluation", json!({"timeframe": "5m"})),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn follows_a_run_from_post_to_evaluation() {
    let fake = FakeKeptn::start(FakeKeptnConfig::seed(TOKEN).with_throttle(4));
    let c = client(fake.api_url(), TOKEN, &HttpConfig::default());
    let ctx = c.send_event(&seed_event("trivyservice")).await.unwrap();
    assert!(ctx.is_uuid());
    // Right after the POST the run is not registered: normal, not an error.
    assert!(
        c.sequence_state("trivyintegration", &ctx)
            .await
            .unwrap()
            .is_none()
    );
    let mut seen = Vec::new();
    for _ in 0..20 {
        if let Some(s) = c.sequence_state("trivyintegration", &ctx).await.unwrap() {
            assert_eq!(s.shkeptncontext, ctx.as_str());
            seen.push(s.state.clone());
            if s.state.is_terminal() {
                assert_eq!(
                    s.stages[0].latest_evaluation.as_ref().unwrap().result,
                    Some(keptn_events::EventResult::Pass)
                );
                break;
            }
        }
    }
    assert_eq!(seen.first(), Some(&SequenceStatus::Started));
    assert_eq!(seen.last(), Some(&SequenceStatus::Finished));
    assert!(fake.throttled() > 0, "429s were thrown and retried");

    let evals = c
        .events(&ctx, Some("sh.keptn.event.evaluation.finished"))
        .await
        .unwrap();
    assert_eq!(evals.len(), 1);
    let data: keptn_events::evaluation::EvaluationFinishedData = evals[0].typed_data().unwrap();
    assert_eq!(data.result, Some(keptn_events::EventResult::Pass));
    assert_eq!(data.evaluation.score, 100.0);
    let all = c.events(&ctx, None).await.unwrap();
    assert!(all.len() >= 8, "{}", all.len());
    assert!(all.iter().all(|e| e.shkeptncontext.as_ref() == Some(&ctx)));
    assert_eq!(fake.received().len(), 1);
}

#[tokio::test]
async fn refusals_are_classified() {
    let fake = FakeKeptn::start(FakeKeptnConfig::seed(TOKEN));
    let bad = client(fake.api_url(), "wrong-token-value", &HttpConfig::default());
    let e = bad
        .send_event(&seed_event("trivyservice"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    let msg = e.to_string();
    assert!(
        msg.starts_with("the Keptn API rejected the token (401)"),
        "{msg}"
    );
    assert!(!msg.contains("wrong-token-value") && !format!("{e:?}").contains("wrong-token-value"));
    assert_eq!(fake.requests().len(), 1, "401 is not retried");

    let c = client(fake.api_url(), TOKEN, &HttpConfig::default());
    let e = c.send_event(&seed_event("otherservice")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Rejected);
    assert!(
        e.to_string()
            .contains("refused the request (400) at http://127.0.0.1"),
        "{e}"
    );
    assert!(
        e.to_string()
            .ends_with(": service otherservice not found in project trivyintegration"),
        "{e}"
    );
    let e = c
        .sequence_state("nosuchproject", &KeptnContext::new_v4())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Rejected);
}

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}/api")
}

#[tokio::test]
async fn outages_are_bounded_and_classified() {
    use axum::http::StatusCode;
    let router = axum::Router::new()
        .route(
            "/api/v1/event",
            axum::routing::post(|| async { (StatusCode::SERVICE_UNAVAILABLE, "upstream down") }),
        )
        .route(
            "/api/controlPlane/v1/sequence/{p}",
            axum::routing::get(|| async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                "{}"
            }),
        )
        .route(
            "/api/mongodb-datastore/event",
            axum::routing::get(|| async { "not json" }),
        );
    let url = serve(router).await;
    let http = HttpConfig {
        timeout: Duration::from_millis(200),
        ..HttpConfig::default()
    };
    let c = client(&url, TOKEN, &http);
    let e = c.send_event(&seed_event("trivyservice")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    assert!(
        e.to_string().contains("503") && e.to_string().contains("3 attempts"),
        "{e}"
    );

    let started = std::time::Instant::now();
    let e = c
        .sequence_state("p", &KeptnContext::new_v4())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(started.elapsed() < Duration::from_secs(3));

    let e = c.events(&KeptnContext::new_v4(), None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");

    let refused = test_support::net::refused_addr();
    let c = client(&format!("http://{refused}/api"), TOKEN, &http);
    let e = c.send_event(&seed_event("trivyservice")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    assert!(e.to_string().contains("could not connect"), "{e}");
}
