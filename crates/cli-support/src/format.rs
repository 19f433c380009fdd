//! The one output-format enum of the binaries (`--format`), and the clap parser that lets each
//! binary accept only the formats it can write, with its own help line for each.

use std::str::FromStr;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

/// What a binary writes on stdout. Each binary accepts a subset ([`Format::parser`]):
/// keptn-send text and json, trivy-scan text, json and sarif, slo-gate all five.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Lines for people (what they hold is the binary's: the seed's lines, a table of
    /// objectives, the keptnContext).
    #[default]
    Text,
    /// One JSON document.
    Json,
    /// Markdown, for CI job summaries and PR comments.
    Markdown,
    /// JUnit XML.
    Junit,
    /// SARIF 2.1.0 for GitHub code scanning (the findings; `sarif-out`).
    Sarif,
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Self; 5] = [
        Self::Text,
        Self::Json,
        Self::Markdown,
        Self::Junit,
        Self::Sarif,
    ];

    /// The name on the command line: `text`, `json`, `markdown`, `junit`, `sarif`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Json => "json",
            Self::Markdown => "markdown",
            Self::Junit => "junit",
            Self::Sarif => "sarif",
        }
    }

    /// A clap value parser (`#[arg(value_parser = Format::parser(&[...]))]`) that accepts
    /// exactly the formats in `accepted`, each shown in `--help` with the help line paired
    /// with it (written as `--help` shows it: like clap does with doc comments, without a
    /// final period). Its possible values, help and error messages are the ones a `ValueEnum`
    /// of those variants would give.
    #[must_use]
    pub fn parser(accepted: &'static [(Self, &'static str)]) -> FormatParser {
        FormatParser { accepted }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;

    /// Any case, and `md` for markdown (for callers outside clap, e.g. a config value).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "md" => Ok(Self::Markdown),
            lower => Self::ALL
                .into_iter()
                .find(|f| f.name() == lower)
                .ok_or_else(|| {
                    format!(
                        "unknown format `{lower}`: expected text, json, markdown, junit or sarif"
                    )
                }),
        }
    }
}

/// The value parser [`Format::parser`] makes.
#[derive(Debug, Clone, Copy)]
pub struct FormatParser {
    accepted: &'static [(Format, &'static str)],
}

impl FormatParser {
    fn possible(&self) -> impl Iterator<Item = PossibleValue> + '_ {
        self.accepted
            .iter()
            .map(|(f, help)| PossibleValue::new(f.name()).help(*help))
    }
}

impl TypedValueParser for FormatParser {
    type Value = Format;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Format, clap::Error> {
        // clap's own parser checks the value, so the error (with its "possible values" and
        // "a similar value exists" tip) is exactly clap's.
        let name = PossibleValuesParser::new(self.possible()).parse_ref(cmd, arg, value)?;
        self.accepted
            .iter()
            .map(|(f, _)| *f)
            .find(|f| f.name() == name)
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidValue).with_cmd(cmd))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.possible()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    // As `--help` shows them: clap drops a doc comment's final period, so these have none.
    const TEXT_JSON: &[(Format, &str)] = &[(Format::Text, "Lines"), (Format::Json, "JSON")];

    #[derive(Debug, Parser)]
    struct Subset {
        #[arg(long, value_parser = Format::parser(TEXT_JSON), default_value = "text")]
        format: Format,
    }

    /// What a `ValueEnum` of the same two variants gives, to compare clap's messages with.
    #[derive(Debug, Clone, Copy, clap::ValueEnum)]
    enum TextJson {
        /// Lines.
        Text,
        /// JSON.
        Json,
    }

    #[derive(Debug, Parser)]
    struct Derived {
        #[arg(long, value_enum, default_value_t = TextJson::Text)]
        format: TextJson,
    }

    #[test]
    fn accepts_its_subset_only() {
        let parse = |v: &str| Subset::try_parse_from(["x", "--format", v]).map(|c| c.format);
        assert_eq!(parse("json").unwrap(), Format::Json);
        assert_eq!(Subset::try_parse_from(["x"]).unwrap().format, Format::Text);
        assert!(parse("markdown").is_err());
        assert!(
            parse("JSON").is_err(),
            "clap's values are case-sensitive, as before"
        );
    }

    #[test]
    fn errors_and_help_are_the_value_enum_ones() {
        use clap::CommandFactory;
        for bad in ["jsn", "markdown", ""] {
            let ours = Subset::try_parse_from(["x", "--format", bad]).unwrap_err();
            let theirs = Derived::try_parse_from(["x", "--format", bad]).unwrap_err();
            assert_eq!(ours.kind(), theirs.kind(), "{bad}");
            assert_eq!(
                ours.render().to_string(),
                theirs.render().to_string(),
                "{bad}"
            );
        }
        let help = |mut c: clap::Command| c.render_long_help().to_string();
        assert_eq!(help(Subset::command()), help(Derived::command()));
        let short = |mut c: clap::Command| c.render_help().to_string();
        assert_eq!(short(Subset::command()), short(Derived::command()));
    }

    #[test]
    fn names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>(), Ok(f));
            assert_eq!(f.to_string(), f.name());
        }
        assert_eq!("MD".parse::<Format>(), Ok(Format::Markdown));
        let e = "yaml".parse::<Format>().unwrap_err();
        assert_eq!(
            e,
            "unknown format `yaml`: expected text, json, markdown, junit or sarif"
        );
    }
}
