//! The [`SliProvider`] trait (one SLI at a time) and [`fetch`], the one loop that walks an
//! SLO's SLIs over any provider.
//!
//! The trait uses a plain `-> impl Future + Send` method rather than `#[async_trait]`: the
//! report answers from memory and needs no runtime or boxing, and the binaries choose among a
//! closed set of providers with the [`AnyProvider`] enum, so no `dyn` is needed.

use std::collections::BTreeMap;
use std::future::Future;

use crate::{Indicator, ProviderError, QueryContext, Window};

/// One SLI's answer: the value, or the message of the failure (a failed SLI, not a backend
/// error).
pub type Outcome = Result<f64, String>;

/// What one provider call is asked.
#[derive(Debug, Clone, Copy)]
pub struct SliQuery<'a> {
    /// SLI name (the objective's `sli`).
    pub name: &'a str,
    /// The sli.yaml query for `name`, placeholders not yet substituted (each provider
    /// substitutes the way its Keptn service does).
    pub query: &'a str,
    /// The evaluation window.
    pub window: &'a Window,
    /// Placeholder values (`$PROJECT`, `$LABEL.<key>`, the slo.yaml filter, …).
    pub context: &'a QueryContext,
}

/// Whether an SLI needs an sli.yaml query, or may be answered by its name alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// Every SLI needs a query; one without fails ("no query for SLI …").
    Query,
    /// A query when the sli.yaml has one, else the SLI's name ([`SliProvider::answer_name`]).
    QueryOrName,
}

/// How a source reports partial failure in `get-sli.finished.result` (what the Keptn
/// service that answers these SLIs would send).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultConvention {
    /// Always `pass`: failed SLIs only fail their objectives (report, values map).
    Lenient,
    /// dynatrace-service: `fail` as soon as one SLI failed.
    AnyFailed,
    /// prometheus-service: `warning` when some, `fail` when all SLIs failed.
    SomeWarnAllFail,
}

/// How a provider's answers are read: declared by each provider, used by [`fetch`] and the
/// gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// The source, as messages name it (`Prometheus`, `Dynatrace`, `the report`).
    pub source: &'static str,
    /// What one value is, for a log line or a help text.
    pub value: &'static str,
    /// Whether an SLI needs a query.
    pub keys: Keys,
    /// How partial failure shows in the `get-sli.finished` result.
    pub convention: ResultConvention,
}

/// A source of SLI values, asked one SLI at a time.
///
/// Implementations answer a failed SLI (no data, several series, a bad query) as
/// `Ok(Err(message))`, never as 0, and keep `Err(ProviderError)` for a backend that cannot be
/// asked at all; [`fetch`] stops at the first such error.
pub trait SliProvider {
    /// How this provider's answers are read.
    fn reading(&self) -> Reading;

    /// Answers one SLI from its sli.yaml query.
    ///
    /// # Errors
    /// [`ProviderError`] when the backend could not be asked or answered outside its API.
    fn query(
        &self,
        sli: &SliQuery<'_>,
    ) -> impl Future<Output = Result<Outcome, ProviderError>> + Send;

    /// Answers an SLI the sli.yaml has no query for; [`fetch`] calls it only when
    /// [`Reading::keys`] is [`Keys::QueryOrName`].
    fn answer_name(&self, name: &str) -> Outcome {
        Err(no_query(name))
    }

    /// Removes secrets from a failure message before it leaves the provider (messages quote
    /// the server, which may echo a credential). Default: unchanged.
    fn redact(&self, message: String) -> String {
        message
    }

    /// Called once before the first SLI is asked: a provider warns here about a window it
    /// cannot answer well. Default: nothing.
    fn check_window(&self, _window: &Window) {}
}

fn no_query(name: &str) -> String {
    format!("no query for SLI `{name}` in the sli.yaml")
}

/// The one fetch loop: answers every requested SLI name, in the order given (duplicates
/// included, as Keptn's providers do; each distinct name is asked once). A name with a query
/// in `queries` (the sli.yaml) is asked with it; a name without one is answered by name when
/// the provider allows it ([`Keys::QueryOrName`]) and fails otherwise, never as 0. Every
/// failure message passes through [`SliProvider::redact`].
///
/// # Errors
/// The first [`ProviderError`]: a backend that cannot be asked fails the whole gate.
pub async fn fetch<P: SliProvider + ?Sized>(
    provider: &P,
    names: &[String],
    queries: Option<&BTreeMap<String, String>>,
    window: &Window,
    context: &QueryContext,
) -> Result<Vec<Indicator>, ProviderError> {
    let reading = provider.reading();
    tracing::debug!(
        source = reading.source,
        value = reading.value,
        "asking for SLIs"
    );
    provider.check_window(window);
    let mut done: BTreeMap<&str, Outcome> = BTreeMap::new();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let outcome = if let Some(o) = done.get(name.as_str()) {
            o.clone()
        } else {
            let o = match (queries.and_then(|q| q.get(name)), reading.keys) {
                (Some(query), _) => {
                    let sli = SliQuery {
                        name,
                        query,
                        window,
                        context,
                    };
                    provider.query(&sli).await?
                }
                (None, Keys::QueryOrName) => provider.answer_name(name),
                (None, Keys::Query) => Err(no_query(name)),
            };
            done.insert(name, o.clone());
            o
        };
        out.push(Indicator {
            name: name.clone(),
            outcome: outcome.map_err(|m| provider.redact(m)),
        });
    }
    Ok(out)
}

/// Runs [`fetch`] without a runtime, for a provider that answers from memory (every `query`
/// future is ready at once, as the report's are): one poll finishes it. `None` if the
/// provider did wait, which only a provider that does I/O would.
pub(crate) fn fetch_in_memory<P: SliProvider + ?Sized>(
    provider: &P,
    names: &[String],
    queries: Option<&BTreeMap<String, String>>,
    window: &Window,
    context: &QueryContext,
) -> Option<Result<Vec<Indicator>, ProviderError>> {
    use std::task::{Context, Poll, Waker};
    let mut fut = std::pin::pin!(fetch(provider, names, queries, window, context));
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(r) => Some(r),
        Poll::Pending => None,
    }
}

/// Every provider this crate has, chosen at run time (`--provider`, or the report by
/// default). The Prometheus and Dynatrace variants exist with their features.
#[derive(Debug, Clone)]
pub enum AnyProvider {
    /// The counts of a scanner report.
    Report(Box<crate::report::ReportSli>),
    /// The Prometheus HTTP API.
    #[cfg(feature = "prometheus")]
    Prometheus(crate::prometheus::PrometheusProvider),
    /// The Dynatrace Metrics API v2.
    #[cfg(feature = "dynatrace")]
    Dynatrace(crate::dynatrace::DynatraceProvider),
}

impl SliProvider for AnyProvider {
    fn reading(&self) -> Reading {
        match self {
            Self::Report(p) => SliProvider::reading(&**p),
            #[cfg(feature = "prometheus")]
            Self::Prometheus(p) => SliProvider::reading(p),
            #[cfg(feature = "dynatrace")]
            Self::Dynatrace(p) => SliProvider::reading(p),
        }
    }

    async fn query(&self, sli: &SliQuery<'_>) -> Result<Outcome, ProviderError> {
        match self {
            Self::Report(p) => SliProvider::query(&**p, sli).await,
            #[cfg(feature = "prometheus")]
            Self::Prometheus(p) => SliProvider::query(p, sli).await,
            #[cfg(feature = "dynatrace")]
            Self::Dynatrace(p) => SliProvider::query(p, sli).await,
        }
    }

    fn answer_name(&self, name: &str) -> Outcome {
        match self {
            Self::Report(p) => SliProvider::answer_name(&**p, name),
            #[cfg(feature = "prometheus")]
            Self::Prometheus(p) => SliProvider::answer_name(p, name),
            #[cfg(feature = "dynatrace")]
            Self::Dynatrace(p) => SliProvider::answer_name(p, name),
        }
    }

    fn redact(&self, message: String) -> String {
        match self {
            Self::Report(p) => SliProvider::redact(&**p, message),
            #[cfg(feature = "prometheus")]
            Self::Prometheus(p) => SliProvider::redact(p, message),
            #[cfg(feature = "dynatrace")]
            Self::Dynatrace(p) => SliProvider::redact(p, message),
        }
    }

    fn check_window(&self, window: &Window) {
        match self {
            Self::Report(p) => SliProvider::check_window(&**p, window),
            #[cfg(feature = "prometheus")]
            Self::Prometheus(p) => SliProvider::check_window(p, window),
            #[cfg(feature = "dynatrace")]
            Self::Dynatrace(p) => SliProvider::check_window(p, window),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A provider answering from a table, recording what it was asked.
    struct Table {
        keys: Keys,
        asked: Mutex<Vec<String>>,
    }

    impl Table {
        fn new(keys: Keys) -> Self {
            Self {
                keys,
                asked: Mutex::new(Vec::new()),
            }
        }
        fn asked(&self) -> Vec<String> {
            self.asked.lock().unwrap().clone()
        }
    }

    impl SliProvider for Table {
        fn reading(&self) -> Reading {
            Reading {
                source: "the table",
                value: "a number from a table",
                keys: self.keys,
                convention: ResultConvention::Lenient,
            }
        }

        async fn query(&self, sli: &SliQuery<'_>) -> Result<Outcome, ProviderError> {
            self.asked.lock().unwrap().push(sli.query.to_owned());
            match sli.query {
                "down" => Err(ProviderError::Status {
                    url: "http://table".to_owned(),
                    status: 401,
                    body: "no".to_owned(),
                }),
                "secret" => Ok(Err("the server said s3cr3t".to_owned())),
                q => Ok(q.parse::<f64>().map_err(|_| format!("`{q}` is no number"))),
            }
        }

        fn answer_name(&self, name: &str) -> Outcome {
            Ok(name.len() as f64)
        }

        fn redact(&self, message: String) -> String {
            message.replace("s3cr3t", "[REDACTED]")
        }
    }

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| (*s).to_owned()).collect()
    }

    fn queries(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn window() -> Window {
        let end = jiff::Timestamp::from_second(1_700_000_000).unwrap();
        Window::ending_at(end, jiff::SignedDuration::from_mins(5))
    }

    fn run<P: SliProvider>(
        p: &P,
        n: &[String],
        q: Option<&BTreeMap<String, String>>,
    ) -> Result<Vec<Indicator>, ProviderError> {
        // The table's futures never wait.
        fetch_in_memory(p, n, q, &window(), &QueryContext::default())
            .expect("the table answers at once")
    }

    #[test]
    fn order_duplicates_and_failed_slis() {
        let p = Table::new(Keys::Query);
        let q = queries(&[("a", "1"), ("b", "x"), ("c", "3"), ("s", "secret")]);
        let got = run(&p, &names(&["c", "a", "b", "missing", "a", "s"]), Some(&q)).unwrap();
        let by: Vec<(&str, Outcome)> = got
            .iter()
            .map(|i| (i.name.as_str(), i.outcome.clone()))
            .collect();
        assert_eq!(
            by,
            [
                ("c", Ok(3.0)),
                ("a", Ok(1.0)),
                ("b", Err("`x` is no number".to_owned())),
                (
                    "missing",
                    Err("no query for SLI `missing` in the sli.yaml".to_owned())
                ),
                ("a", Ok(1.0)),
                ("s", Err("the server said [REDACTED]".to_owned())),
            ]
        );
        // Each distinct name asked once, in order; the missing one never reached it.
        assert_eq!(p.asked(), ["3", "1", "x", "secret"]);
    }

    #[test]
    fn names_without_a_query_when_the_provider_answers_by_name() {
        let p = Table::new(Keys::QueryOrName);
        let q = queries(&[("a", "7")]);
        let got = run(&p, &names(&["a", "four"]), Some(&q)).unwrap();
        assert_eq!(got[0].outcome, Ok(7.0));
        assert_eq!(got[1].outcome, Ok(4.0));
        let got = run(&p, &names(&["abc"]), None).unwrap();
        assert_eq!(got[0].outcome, Ok(3.0));
        assert!(p.asked() == ["7"]);
    }

    #[test]
    fn a_backend_error_stops_the_loop() {
        let p = Table::new(Keys::Query);
        let q = queries(&[("a", "1"), ("b", "down"), ("c", "3")]);
        let err = run(&p, &names(&["a", "b", "c"]), Some(&q)).unwrap_err();
        assert!(err.is_auth(), "{err}");
        assert_eq!(p.asked(), ["1", "down"], "nothing asked after the failure");
    }
}
