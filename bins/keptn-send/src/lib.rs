//! The `keptn-send` binary's logic: build the event, send it, follow the sequence, print the
//! verdict. `main.rs` only hands [`run`] to `cli_support::main`.

mod cli;
mod follow;
mod payload;

use std::io::Write;

use cli_support::{Exit, Failure, Redactor};
use http_policy::{EndpointRules, HttpConfig, Redaction, RetryPolicy, parse_endpoint};
use keptn_events::client::{ClientError, KeptnClient};
use keptn_events::{CloudEvent, EventType, Phase};
use serde_json::{Map, Value, json};

pub use cli::Cli;
pub use cli_support::Format;
pub use payload::{apply_label, apply_set, typed_value};

/// Runs one invocation, writing results to `out`. Logging starts here, once the token is
/// known, so that every log line passes through the run's redactor; so does `out`.
///
/// # Errors
/// A [`Failure`] carrying the exit code (2 input, 3 Keptn API or sequence problems), secrets
/// removed.
pub async fn run(cli: Cli, out: &mut dyn Write) -> Result<Exit, Failure> {
    let token = cli_support::load_secret(
        cli.api_token.as_ref(),
        cli.api_token_file.as_deref(),
        "Keptn API token",
    )?;
    let redactor = Redactor::builder()
        .secret_opt(token.as_ref())
        .secret_opt(cli.api_token.as_ref())
        .url_opt(cli.api_url.as_deref())
        .build();
    cli.log.init(&redactor);
    let mut out = redactor.writer(out);
    run_with(&cli, token, &redactor, &mut out)
        .await
        .map_err(|f| f.redacted(&redactor))
}

async fn run_with(
    cli: &Cli,
    token: Option<secrecy::SecretString>,
    redactor: &Redactor,
    out: &mut dyn Write,
) -> Result<Exit, Failure> {
    let event = build_event(cli)?;
    if cli.dry_run {
        let text = serde_json::to_string_pretty(&event)
            .map_err(|e| Failure::usage(format!("cannot serialise the event: {e}")))?;
        write_out(out, &text)?;
        return Ok(Exit::Ok);
    }
    if cli.wait && !matches!(event.event_type(), Ok(EventType::Sequence { .. })) {
        return Err(Failure::usage(
            "--wait follows a sequence: use --sequence, or --type with a sequence .triggered type",
        ));
    }
    let client = client(cli, token, redactor)?;
    let ctx = client
        .send_event(&event)
        .await
        .map_err(|e| api_failure(&e))?;
    tracing::info!(keptn_context = %ctx, "event accepted");
    if !cli.wait {
        // `--format` accepts text and json only.
        if cli.format == Format::Json {
            write_out(out, &json!({"keptnContext": ctx}).to_string())?;
        } else {
            write_out(out, ctx.as_str())?;
        }
        return Ok(Exit::Ok);
    }
    if cli.format == Format::Text {
        write_out(out, &format!("keptnContext: {ctx}"))?;
    }
    let project = event.data["project"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let settings = follow::Follow {
        timeout: cli.timeout,
        poll_interval: cli.poll_interval,
    };
    let verdict = follow::follow(&client, &project, &ctx, settings).await?;
    follow::report(&verdict, cli.format, out)
}

fn write_out(out: &mut dyn Write, line: &str) -> Result<(), Failure> {
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(|e| Failure::external(format!("cannot write to stdout: {e}")))
}

/// Maps a Keptn API failure to exit 3 with its one-line message.
pub(crate) fn api_failure(e: &ClientError) -> Failure {
    Failure::external(e.to_string())
}

/// Builds (and validates) the event from the flags.
///
/// # Errors
/// Exit 2 for anything the user can fix: names, type, --data, --set, --label.
pub fn build_event(cli: &Cli) -> Result<CloudEvent<Value>, Failure> {
    let ty = match (&cli.sequence, &cli.event_type) {
        (Some(sequence), _) => {
            let stage = cli.stage.as_deref().unwrap_or_default();
            EventType::sequence(stage, sequence, Phase::Triggered)
        }
        (None, Some(t)) => t.parse(),
        (None, None) => return Err(Failure::usage("give --sequence or --type")),
    }
    .map_err(|e| Failure::usage(e.to_string()))?;

    let mut data = match &cli.data {
        Some(path) => payload::read_data_file(path)?,
        None => Map::new(),
    };
    for (key, value) in [
        ("project", &cli.project),
        ("stage", &cli.stage),
        ("service", &cli.service),
    ] {
        if let Some(v) = value {
            data.insert(key.to_owned(), Value::String(v.clone()));
        }
    }
    // A full sequence type names its stage: use it when nothing else did.
    if let Some(stage) = ty.stage_name()
        && !data.contains_key("stage")
    {
        data.insert("stage".to_owned(), Value::String(stage.to_owned()));
    }
    for label in &cli.labels {
        payload::apply_label(&mut data, label)?;
    }
    for set in &cli.sets {
        payload::apply_set(&mut data, set)?;
    }

    let mut builder = CloudEvent::builder()
        .event_type(ty)
        .source(cli.source.clone());
    if let Some(ctx) = &cli.keptn_context {
        builder = builder.shkeptncontext(ctx.clone());
    }
    if let Some(id) = &cli.triggered_id {
        builder = builder.triggeredid(id.clone());
    }
    builder
        .data(Value::Object(data))
        .build()
        .map_err(|e| Failure::usage(format!("cannot build the event: {e}")))
}

fn client(
    cli: &Cli,
    token: Option<secrecy::SecretString>,
    redactor: &Redactor,
) -> Result<KeptnClient, Failure> {
    let raw = cli.api_url.as_deref().ok_or_else(|| {
        Failure::usage("the Keptn API URL is missing: give --api-url or set KEPTN_API_URL")
    })?;
    let url = parse_endpoint(
        raw,
        EndpointRules {
            carries_token: true,
            allow_insecure_http: cli.allow_insecure_http,
        },
    )
    .map_err(|e| Failure::usage(format!("--api-url: {e}")))?;
    let token = token.ok_or_else(|| {
        Failure::usage(
            "the Keptn API token is missing: set KEPTN_API_TOKEN or give --api-token-file",
        )
    })?;
    let redactor = redactor.clone();
    let http = HttpConfig {
        timeout: cli.request_timeout,
        redaction: Redaction::new(move |t| redactor.redact(t)),
        ..HttpConfig::default()
    };
    let retry = RetryPolicy::with_retries(cli.retries);
    KeptnClient::new(url, token, &http, retry).map_err(|e| match e.kind() {
        keptn_events::client::ErrorKind::Setup => Failure::usage(e.to_string()),
        _ => api_failure(&e),
    })
}
