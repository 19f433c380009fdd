//! One pass over the document: the top level decides the format (`specs/scanner-formats.md`
//! §1.3, first matching row wins), while the big arrays are streamed into the tally of the
//! only format that uses their key (`Results` is Trivy's, `matches` Grype's, `runs` SARIF's,
//! …). Real reports often put the signature after the findings (Grype's `descriptor` comes
//! last), so the verdict waits for the end of the object; the tallies of formats that were
//! not chosen are dropped. Adding a format means one module plus a line here.

use std::io::Read;

use findings::{CountOptions, Summary, Tally, Want};
use json_stream::{Kind, Reader};
use serde_json::Value;

use crate::top::{TopFacts, TopValue};
use crate::{
    Format, ReadOptions, Report, ReportError, cyclonedx, grype, sarif, text, trivy, trivy_operator,
};

/// Top-level keys whose values are read whole (bounded), for the non-streaming adapters and
/// the metadata of the streaming ones.
const CAPTURED: &[&str] = &[
    // CycloneDX
    "metadata",
    "components",
    "vulnerabilities",
    // Trivy Operator
    "report",
    "items",
    // Grype
    "descriptor",
    "source",
    "distro",
    // Trivy
    "Metadata",
    "Trivy",
];

/// Keys of every format's signature, for case-variant checks on unrecognised files.
const SIGNATURE_KEYS: &[&str] = &[
    "bomFormat",
    "spdxVersion",
    "runs",
    "version",
    "ClusterName",
    "apiVersion",
    "kind",
    "items",
    "matches",
    "descriptor",
    "SchemaVersion",
    "Results",
];

/// The tallies of the streaming formats, created when their key is met.
struct Streams<'o> {
    trivy: Option<(Tally<'o>, trivy::Stats)>,
    k8s: Option<(Tally<'o>, trivy::K8sStats)>,
    grype: Option<(Tally<'o>, grype::Stats)>,
    sarif: Option<(Tally<'o>, sarif::Stats)>,
}

pub(crate) fn read<R: Read>(
    reader: R,
    count: &CountOptions,
    want: Want,
    read: &ReadOptions,
) -> Result<Report, ReportError> {
    let mut r = Reader::new(reader);
    let head = r.head(4096)?;
    let first = head.iter().copied().find(|b| !b" \t\r\n".contains(b));
    let (format, summary) = match first {
        None if head.is_empty() => return Err(json_stream::Error::Empty.into()),
        None => {
            // Only whitespace in the first 4 KiB: let the reader decide (empty or more).
            top_value(&mut r, count, want, read)?
        }
        Some(b'{' | b'[' | b'n') => top_value(&mut r, count, want, read)?,
        Some(_) => return Err(text::refuse(head)),
    };
    if read.format != crate::InputFormat::Auto && format.family() != read.format {
        return Err(ReportError::NotForcedFormat {
            forced: read.format.name(),
            found: format,
        });
    }
    if count.fixable_only && !format.has_fix_data() {
        return Err(ReportError::NoFixData(format));
    }
    Ok(Report { format, summary })
}

fn top_value<R: Read>(
    r: &mut Reader<R>,
    count: &CountOptions,
    want: Want,
    read: &ReadOptions,
) -> Result<(Format, Summary), ReportError> {
    match r.peek_kind()? {
        None => Err(json_stream::Error::Empty.into()),
        Some(Kind::Object) => object(r, count, want, read),
        Some(Kind::Array) => array(r, count, want),
        Some(Kind::Null) => {
            r.skip_value()?;
            r.finish()?;
            // What trivy < 0.20 wrote for a scan without results.
            let mut summary = Tally::new(count, want).finish();
            summary.input.format = Format::TrivyJsonLegacy.name().to_owned();
            summary.input.scanner = Some(trivy::scanner(None));
            Ok((Format::TrivyJsonLegacy, summary))
        }
        Some(_) => {
            // `nope`, `nul`: not JSON at all.
            r.skip_value()?;
            Err(text::refuse(b"n"))
        }
    }
}

fn object<R: Read>(
    r: &mut Reader<R>,
    count: &CountOptions,
    want: Want,
    read: &ReadOptions,
) -> Result<(Format, Summary), ReportError> {
    let limit = read.capture_limit.unwrap_or(crate::DEFAULT_CAPTURE_LIMIT);
    let mut facts = TopFacts::default();
    let mut s = Streams {
        trivy: None,
        k8s: None,
        grype: None,
        sarif: None,
    };
    let mut scalar = String::new();
    r.expect_object("an object")?;
    let mut first = true;
    while r.next_key(&mut first)? {
        let key = r.key_str();
        let kind = r.peek_kind()?.unwrap_or(Kind::Null);
        let value = match (key.as_str(), kind) {
            ("Results", Kind::Array) => {
                let (tally, stats) = s.trivy.get_or_insert_with(|| {
                    // Trivy writes `Metadata` before `Results`: the image is known before the
                    // first finding (see the check on `Metadata` below for other files).
                    let mut tally = s_tally(count, want);
                    tally.set_image(trivy::image_identity(facts.captured("Metadata")));
                    (tally, trivy::Stats::default())
                });
                within(Format::TrivyJson, trivy::results(r, tally, stats))?;
                TopValue::Walked(kind)
            }
            ("Resources" | "Vulnerabilities" | "Findings", Kind::Array) => {
                let (tally, stats) = s
                    .k8s
                    .get_or_insert_with(|| (s_tally(count, want), trivy::K8sStats::default()));
                within(Format::TrivyK8s, trivy::k8s_resources(r, tally, stats))?;
                TopValue::Walked(kind)
            }
            ("matches", Kind::Array) => {
                let (tally, stats) = s
                    .grype
                    .get_or_insert_with(|| (s_tally(count, want), grype::Stats::default()));
                within(Format::GrypeJson, grype::matches(r, tally, stats))?;
                TopValue::Walked(kind)
            }
            ("runs", Kind::Array) => {
                let (tally, stats) = s
                    .sarif
                    .get_or_insert_with(|| (s_tally(count, want), sarif::Stats::default()));
                within(Format::Sarif, sarif::runs(r, tally, stats))?;
                TopValue::Walked(kind)
            }
            (k, Kind::Object | Kind::Array) if CAPTURED.contains(&k) => {
                TopValue::Captured(r.capture(&format!("`{k}`"), limit)?)
            }
            (_, Kind::Object | Kind::Array) => {
                r.skip_value()?;
                TopValue::Walked(kind)
            }
            (_, Kind::String) if r_string_short(r, &mut scalar)? => {
                TopValue::Scalar(kind, std::mem::take(&mut scalar))
            }
            (_, Kind::String) => TopValue::Walked(kind),
            (_, _) => {
                r.scalar_into(&mut scalar)?;
                TopValue::Scalar(kind, std::mem::take(&mut scalar))
            }
        };
        if let TopValue::Captured(metadata) = &value
            && key == "Metadata"
        {
            image_known_in_time(&s, count, metadata)?;
        }
        facts.push(key, value);
    }
    r.finish()?;

    let format = signature(&facts)?;
    let names: &[&str] = match format {
        Format::TrivyJson | Format::TrivyJsonLegacy => trivy::TOP_KEYS,
        Format::TrivyK8s => trivy::K8S_TOP_KEYS,
        Format::TrivyOperator => trivy_operator::TOP_KEYS,
        Format::GrypeJson => grype::TOP_KEYS,
        Format::Sarif => sarif::TOP_KEYS,
        Format::CycloneDx => cyclonedx::TOP_KEYS,
    };
    if let Some((found, name)) = facts.case_variant(names) {
        return Err(ReportError::malformed(
            format,
            format!(
                "top-level key `{found}` differs from `{name}` only in letter case; refusing to guess whether it is meant"
            ),
        ));
    }
    // The arrays a streaming format walks: another type there is malformed, not empty.
    let arrays: &[&str] = match format {
        Format::TrivyJson | Format::TrivyJsonLegacy => &["Results"],
        Format::TrivyK8s => &["Resources", "Vulnerabilities", "Findings"],
        Format::GrypeJson => &["matches"],
        Format::Sarif => &["runs"],
        Format::CycloneDx | Format::TrivyOperator => &[],
    };
    for k in arrays {
        if let Some(v) = facts.get(k)
            && !matches!(v.kind(), Kind::Array | Kind::Null)
        {
            return Err(ReportError::malformed(
                format,
                format!("`{k}` is {}, expected a list", v.kind().article()),
            ));
        }
    }
    let (summary_tally, info) = match format {
        Format::TrivyJson | Format::TrivyJsonLegacy => {
            let (tally, stats) = s
                .trivy
                .take()
                .unwrap_or_else(|| (Tally::new(count, want), trivy::Stats::default()));
            let info = trivy::finish(&facts, &stats);
            (tally, Ok(info))
        }
        Format::TrivyK8s => {
            let (tally, stats) = s
                .k8s
                .take()
                .unwrap_or_else(|| (Tally::new(count, want), trivy::K8sStats::default()));
            let info = trivy::finish_k8s(&facts, &stats, read.allow_incomplete);
            (tally, info)
        }
        Format::GrypeJson => {
            let (tally, stats) = s
                .grype
                .take()
                .unwrap_or_else(|| (Tally::new(count, want), grype::Stats::default()));
            let info = grype::finish(&facts, &stats);
            (tally, info)
        }
        Format::Sarif => {
            let (tally, stats) = s
                .sarif
                .take()
                .unwrap_or_else(|| (Tally::new(count, want), sarif::Stats::default()));
            let info = sarif::finish(&facts, stats);
            (tally, info)
        }
        Format::CycloneDx => {
            let mut tally = Tally::new(count, want);
            let info = cyclonedx::read(&facts, &mut tally);
            (tally, info)
        }
        Format::TrivyOperator => {
            let mut tally = Tally::new(count, want);
            let info = trivy_operator::read_object(&facts, &mut tally);
            (tally, info)
        }
    };
    let mut info = info?;
    info.format = format.name().to_owned();
    let mut summary = summary_tally.finish();
    summary.input = info;
    Ok((format, summary))
}

/// A Trivy report whose `Metadata` names an image but comes after `Results` (a hand-edited
/// file; trivy writes it first): the findings were counted without the image, so VEX
/// statements about the image could not apply. Refused rather than counted differently from
/// what the same statements do on the file trivy wrote; without such statements the order
/// does not matter.
fn image_known_in_time(
    s: &Streams<'_>,
    count: &CountOptions,
    metadata: &serde_json::Value,
) -> Result<(), ReportError> {
    let counted = s.trivy.as_ref().is_some_and(|(t, _)| t.image().is_none());
    if counted
        && count
            .vex
            .as_ref()
            .is_some_and(findings::VexSet::names_images)
        && let Some(image) = trivy::image_identity(Some(metadata))
    {
        return Err(ReportError::malformed(
            Format::TrivyJson,
            format!(
                "`Metadata` (image {}) comes after `Results`, so a --vex statement about the image could not apply to the findings; put `Metadata` before `Results`, as trivy writes it",
                image.purl()
            ),
        ));
    }
    Ok(())
}

/// A shape error inside a streamed array belongs to that array's format.
fn within(format: Format, r: Result<(), json_stream::Error>) -> Result<(), ReportError> {
    r.map_err(|e| match e {
        json_stream::Error::Shape { message } => ReportError::malformed(format, message),
        e => e.into(),
    })
}

fn s_tally(count: &CountOptions, want: Want) -> Tally<'_> {
    Tally::new(count, want)
}

/// Reads a string value into `out` if it is short enough to keep; longer strings are
/// validated and dropped (false).
fn r_string_short<R: Read>(r: &mut Reader<R>, out: &mut String) -> Result<bool, ReportError> {
    r.string_into(out, "a string")?;
    if out.len() > TopFacts::max_scalar() {
        out.clear();
        return Ok(false);
    }
    Ok(true)
}

/// §1.3 rows 7 to 22, for an object.
fn signature(f: &TopFacts) -> Result<Format, ReportError> {
    let str_of = |k: &str| f.str(k);
    if str_of("bomFormat") == Some("CycloneDX") {
        return Ok(Format::CycloneDx);
    }
    if f.has("spdxVersion") || str_of("@context").is_some_and(|c| c.contains("spdx.org")) {
        return Err(ReportError::refused(
            "an SPDX JSON document",
            "an SBOM, not a vulnerability report (scan it, e.g. `trivy sbom FILE --format json`, and read that report)",
        ));
    }
    if str_of("@context").is_some_and(|c| c.starts_with("https://openvex.dev/ns")) {
        return Err(ReportError::refused(
            "an OpenVEX document",
            "VEX statements, not a scan report (give it with --vex to the run that reads the report)",
        ));
    }
    if f.has("runs")
        && (f.has("version")
            || str_of("$schema").is_some_and(|s| s.to_ascii_lowercase().contains("sarif")))
    {
        return Ok(Format::Sarif);
    }
    if f.has("ClusterName") {
        return Ok(Format::TrivyK8s);
    }
    if str_of("apiVersion").is_some_and(|a| a.starts_with("aquasecurity.github.io/")) {
        return Ok(Format::TrivyOperator);
    }
    if str_of("kind").is_some_and(|k| k.ends_with("List")) && f.has("items") {
        return Ok(Format::TrivyOperator);
    }
    if f.has("matches") && f.is_object("descriptor") {
        return Ok(Format::GrypeJson);
    }
    if f.is_object("scan") && f.has("vulnerabilities") {
        return Err(ReportError::refused(
            "a GitLab security report",
            "not read (use the scanner's own JSON output, e.g. `trivy image --format json`)",
        ));
    }
    if f.has("Findings") {
        return Err(ReportError::refused(
            "an AWS Security Finding Format (ASFF) document",
            "not read (use the scanner's own JSON output)",
        ));
    }
    if f.has("catalogVersion") && f.has("vulnerabilities") {
        return Err(ReportError::refused(
            "the CISA KEV catalogue",
            "a list of exploited CVEs, not a scan report (give it with --kev)",
        ));
    }
    if f.has("detector") && f.has("manifests") {
        return Err(ReportError::refused(
            "a GitHub dependency snapshot",
            "a package list, not a vulnerability report",
        ));
    }
    if f.has("artifacts") && f.is_object("descriptor") {
        return Err(ReportError::refused(
            "a Syft SBOM (JSON)",
            "a package list, not a vulnerability report (scan it with `grype sbom:FILE -o json`)",
        ));
    }
    if let Some(v) = f.get("SchemaVersion") {
        return match v {
            TopValue::Scalar(Kind::Number, n) if n == "2" => Ok(Format::TrivyJson),
            TopValue::Scalar(_, n) => Err(ReportError::refused(
                format!("a Trivy JSON report with SchemaVersion {n}"),
                "unsupported Trivy SchemaVersion (vulngate reads SchemaVersion 2, written by trivy 0.20 and later)",
            )),
            _ => Err(ReportError::refused(
                "a Trivy JSON report",
                "unsupported Trivy SchemaVersion (not a number)",
            )),
        };
    }
    if f.has("Results") {
        return Ok(Format::TrivyJson);
    }
    let mut keys: Vec<&str> = f.keys().collect();
    keys.sort_unstable();
    keys.dedup();
    let shown = keys.iter().take(8).copied().collect::<Vec<_>>().join(", ");
    let more = if keys.len() > 8 { ", …" } else { "" };
    let hint = f
        .case_variant(SIGNATURE_KEYS)
        .map(|(k, n)| format!("; key `{k}` differs from `{n}` only in letter case"))
        .unwrap_or_default();
    Err(ReportError::refused(
        "JSON without a recognised report signature",
        format!(
            "keys: {shown}{more}{hint}; vulngate reads Trivy, trivy k8s, Trivy Operator, Grype, SARIF and CycloneDX reports (see --input-format)"
        ),
    ))
}

/// What one element of a top-level array is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ElementClass {
    TrivyResult,
    Operator,
    CodeQuality,
    Other,
}

/// §1.3 rows 2 to 6: a bare array. Elements are walked one by one: Trivy results stream into
/// the tally, Trivy Operator reports are read whole (each is small).
fn array<R: Read>(
    r: &mut Reader<R>,
    count: &CountOptions,
    want: Want,
) -> Result<(Format, Summary), ReportError> {
    let mut trivy_tally = Tally::new(count, want);
    let mut stats = trivy::Stats::default();
    let mut op_tally = Tally::new(count, want);
    let mut operator = trivy_operator::Operator::default();
    let mut class: Option<ElementClass> = None;
    let mut mixed = false;
    let mut n = 0u64;
    r.open_array("an array")?;
    let mut first = true;
    while r.next_element(&mut first)? {
        n += 1;
        let c = if r.peek_kind()? == Some(Kind::Object) {
            element(
                r,
                &mut trivy_tally,
                &mut stats,
                &mut op_tally,
                &mut operator,
            )?
        } else {
            r.skip_value()?;
            ElementClass::Other
        };
        match class {
            None => class = Some(c),
            Some(prev) if prev != c => mixed = true,
            Some(_) => {}
        }
    }
    r.finish()?;
    let format = match (class, mixed) {
        (None, _) => {
            return Err(ReportError::refused(
                "an empty JSON array",
                "no report signature (trivy < 0.20 wrote `null` for an empty scan, never `[]`)",
            ));
        }
        (Some(ElementClass::TrivyResult), false) => Format::TrivyJsonLegacy,
        (Some(ElementClass::Operator), false) => Format::TrivyOperator,
        (Some(ElementClass::CodeQuality), false) => {
            return Err(ReportError::refused(
                "a GitLab Code Quality report",
                "not a vulnerability report",
            ));
        }
        _ => {
            return Err(ReportError::refused(
                format!("a JSON array of {n} elements"),
                "its elements are neither all Trivy results (objects with `Target`) nor all Trivy Operator reports",
            ));
        }
    };
    let (tally, info) = if format == Format::TrivyJsonLegacy {
        (trivy_tally, trivy::finish_legacy(&stats))
    } else {
        (op_tally, operator.finish()?)
    };
    let mut info = info;
    info.format = format.name().to_owned();
    let mut summary = tally.finish();
    summary.input = info;
    Ok((format, summary))
}

/// One object element of a top-level array.
fn element<R: Read>(
    r: &mut Reader<R>,
    trivy_tally: &mut Tally<'_>,
    stats: &mut trivy::Stats,
    op_tally: &mut Tally<'_>,
    operator: &mut trivy_operator::Operator,
) -> Result<ElementClass, ReportError> {
    let mut walker = trivy_report::ResultWalker::default();
    walker.begin();
    let mut obj = serde_json::Map::new();
    let (mut check_name, mut fingerprint) = (false, false);
    r.expect_object("an object")?;
    let mut first = true;
    while r.next_key(&mut first)? {
        match r.key() {
            b"apiVersion" | b"kind" | b"metadata" | b"report" => {
                let k = r.key_str();
                let v = r.capture(&format!("`{k}`"), crate::DEFAULT_CAPTURE_LIMIT)?;
                obj.insert(k, v);
            }
            b"check_name" => {
                check_name = true;
                r.skip_value()?;
            }
            b"fingerprint" => {
                fingerprint = true;
                r.skip_value()?;
            }
            _ => {
                // `Kind` for `kind`: Go's decoder would read it; never skip such a report.
                r.refuse_case_variant(trivy_operator::ITEM_KEYS)
                    .map_err(|e| match e {
                        json_stream::Error::Shape { message } => {
                            ReportError::malformed(Format::TrivyOperator, message)
                        }
                        e => e.into(),
                    })?;
                let handled = walker.on_key(r, trivy_tally).map_err(|e| match e {
                    json_stream::Error::Shape { message } => {
                        ReportError::malformed(Format::TrivyJsonLegacy, message)
                    }
                    e => e.into(),
                })?;
                if !handled {
                    r.skip_value()?;
                }
            }
        }
    }
    let is_trivy = walker.end(trivy_tally);
    if is_trivy {
        stats.results += 1;
        if stats.first_target.is_none() && !walker.target().is_empty() {
            stats.first_target = Some(walker.target().to_owned());
        }
        return Ok(ElementClass::TrivyResult);
    }
    let api = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    if api.starts_with("aquasecurity.github.io/") {
        operator.item(&obj, op_tally)?;
        return Ok(ElementClass::Operator);
    }
    if check_name && fingerprint {
        return Ok(ElementClass::CodeQuality);
    }
    Ok(ElementClass::Other)
}
