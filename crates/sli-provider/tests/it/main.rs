//! Integration tests: the Prometheus provider against the real Pushgateway + Prometheus, and
//! the Dynatrace provider against the strict query fake, both through the one fetch loop.
#![allow(missing_docs, clippy::print_stderr)]

#[cfg(feature = "dynatrace")]
mod dynatrace;
#[cfg(feature = "prometheus")]
mod prometheus;

#[cfg(any(feature = "prometheus", feature = "dynatrace"))]
mod fetch_ext {
    use std::collections::BTreeMap;

    use sli_provider::{Indicator, ProviderError, QueryContext, SliProvider, Window};

    /// `provider.fetch(...)`: the shared loop ([`sli_provider::fetch`]) with an sli.yaml.
    pub(crate) trait FetchExt: SliProvider + Sized {
        async fn fetch(
            &self,
            names: &[String],
            queries: &BTreeMap<String, String>,
            window: &Window,
            ctx: &QueryContext,
        ) -> Result<Vec<Indicator>, ProviderError> {
            sli_provider::fetch(self, names, Some(queries), window, ctx).await
        }
    }

    impl<P: SliProvider> FetchExt for P {}
}
