//! The CISA Known Exploited Vulnerabilities catalogue (`known_exploited_vulnerabilities.json`,
//! <https://www.cisa.gov/known-exploited-vulnerabilities-catalog>).
//!
//! Read strictly, since a gate on it must never pass on a file that was not understood: the
//! top level must carry `catalogVersion`, `dateReleased`, `count` and `vulnerabilities`;
//! `count` must equal the number of entries; each entry needs a `cveID` of the form
//! `CVE-YYYY-N`, `dateAdded` and `dueDate` (`YYYY-MM-DD`) and `knownRansomwareCampaignUse`
//! (`Known` or `Unknown`); an id listed twice, a date after the evaluation time, or an empty
//! catalogue is refused. Other fields (vendor, product, notes) are not used.

use std::collections::HashMap;
use std::path::Path;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Deserialize;

use crate::{FeedError, FeedInfo, json_error, line_of, not_future};

const FEED: &str = "KEV catalogue";

/// One catalogue entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KevEntry {
    /// When CISA added it.
    pub date_added: Date,
    /// When federal agencies must have remediated it.
    pub due_date: Date,
    /// `knownRansomwareCampaignUse` is `Known`.
    pub ransomware: bool,
}

/// A parsed KEV catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kev {
    /// Version, date, file and size, as recorded in results.
    pub info: FeedInfo,
    /// `catalogVersion`.
    pub catalog_version: String,
    /// `dateReleased`.
    pub date_released: Timestamp,
    entries: HashMap<String, KevEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", expecting = "a KEV catalogue object")]
struct RawCatalog {
    catalog_version: String,
    date_released: Stamp,
    count: u64,
    vulnerabilities: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(expecting = "a KEV catalogue entry object")]
struct RawEntry {
    #[serde(rename = "cveID")]
    cve_id: CveId,
    #[serde(rename = "dateAdded")]
    date_added: Day,
    #[serde(rename = "dueDate")]
    due_date: Day,
    #[serde(rename = "knownRansomwareCampaignUse")]
    ransomware: Ransomware,
}

/// A string parsed as an RFC 3339 time (errors carry serde's line and column).
struct Stamp(Timestamp);

impl<'de> Deserialize<'de> for Stamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse()
            .map(Stamp)
            .map_err(|e| serde::de::Error::custom(format!("`{s}` is not an RFC 3339 time: {e}")))
    }
}

struct Day(Date);

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse()
            .map(Day)
            .map_err(|_| serde::de::Error::custom(format!("`{s}` is not a YYYY-MM-DD date")))
    }
}

struct CveId(String);

impl<'de> Deserialize<'de> for CveId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if is_cve_id(&s) {
            Ok(Self(s))
        } else {
            Err(serde::de::Error::custom(format!(
                "`{s}` is not a CVE id (CVE-YYYY-NNNN)"
            )))
        }
    }
}

/// `CVE-` + four digits + `-` + at least four digits.
pub(crate) fn is_cve_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, num)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && num.len() >= 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.bytes().all(|b| b.is_ascii_digit())
}

struct Ransomware(bool);

impl<'de> Deserialize<'de> for Ransomware {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "Known" => Ok(Self(true)),
            "Unknown" => Ok(Self(false)),
            _ => Err(serde::de::Error::custom(format!(
                "knownRansomwareCampaignUse `{s}` is neither `Known` nor `Unknown`"
            ))),
        }
    }
}

impl Kev {
    /// Reads and checks a catalogue file (at most [`crate::limits::KEV`] bytes).
    ///
    /// # Errors
    /// [`FeedError::Io`] or [`FeedError::Invalid`] (see the module documentation).
    pub fn load(path: &Path, now: Timestamp) -> Result<Self, FeedError> {
        let text = crate::read(FEED, path, crate::limits::KEV)?;
        Self::parse(&text, &path.display().to_string(), now)
    }

    /// Parses a catalogue; `file` names it in errors and in [`Kev::info`].
    ///
    /// # Errors
    /// [`FeedError::Invalid`] (see the module documentation).
    pub fn parse(text: &str, file: &str, now: Timestamp) -> Result<Self, FeedError> {
        let bad = |line, reason: String| FeedError::invalid(FEED, file, line, reason);
        // serde would also read a JSON array as the struct's fields in order.
        if let Some(c) = text.trim_start().chars().next()
            && c != '{'
        {
            return Err(bad(1, "expected a KEV catalogue object (`{`)".to_owned()));
        }
        let raw: RawCatalog = serde_json::from_str(text).map_err(|e| {
            let (line, reason) = json_error(text, &e);
            bad(line, reason)
        })?;
        if raw.vulnerabilities.is_empty() {
            return Err(bad(
                line_of(text, "\"vulnerabilities\"", 0),
                "the catalogue lists no vulnerabilities".to_owned(),
            ));
        }
        let n = raw.vulnerabilities.len() as u64;
        if raw.count != n {
            return Err(bad(
                line_of(text, "\"count\"", 0),
                format!(
                    "`count` says {} but the catalogue lists {n} vulnerabilities (cut short?)",
                    raw.count
                ),
            ));
        }
        not_future(raw.date_released.0, now).map_err(|m| {
            bad(
                line_of(text, "\"dateReleased\"", 0),
                format!("dateReleased {m}"),
            )
        })?;
        let mut entries = HashMap::with_capacity(raw.vulnerabilities.len());
        for e in raw.vulnerabilities {
            let id = e.cve_id.0;
            let quoted = format!("\"{id}\"");
            // The due date lies ahead by design; the date added may not.
            let added = e
                .date_added
                .0
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map_err(|err| bad(line_of(text, &quoted, 0), err.to_string()))?
                .timestamp();
            not_future(added, now)
                .map_err(|m| bad(line_of(text, &quoted, 0), format!("{id}: dateAdded {m}")))?;
            let entry = KevEntry {
                date_added: e.date_added.0,
                due_date: e.due_date.0,
                ransomware: e.ransomware.0,
            };
            if entries.insert(id.clone(), entry).is_some() {
                return Err(bad(
                    line_of(text, &quoted, 1),
                    format!("{id} is listed twice"),
                ));
            }
        }
        Ok(Self {
            info: FeedInfo {
                feed: "kev",
                file: file.to_owned(),
                version: Some(raw.catalog_version.clone()),
                date: Some(raw.date_released.0),
                entries: n,
            },
            catalog_version: raw.catalog_version,
            date_released: raw.date_released.0,
            entries,
        })
    }

    /// The entry for a vulnerability id, if the catalogue lists it.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&KevEntry> {
        self.entries.get(id)
    }

    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Never true for a parsed catalogue (an empty one is refused).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2025-09-01T00:00:00Z".parse().unwrap()
    }

    fn entry(id: &str, added: &str, ransomware: &str) -> String {
        format!(
            r#"    {{"cveID": "{id}", "vendorProject": "X", "dateAdded": "{added}", "dueDate": "2025-09-15", "knownRansomwareCampaignUse": "{ransomware}"}}"#
        )
    }

    fn catalog(count: usize, entries: &[String]) -> String {
        format!(
            "{{\n  \"catalogVersion\": \"2025.08.25\",\n  \"dateReleased\": \"2025-08-25T17:04:19.9796Z\",\n  \"count\": {count},\n  \"vulnerabilities\": [\n{}\n  ]\n}}\n",
            entries.join(",\n")
        )
    }

    fn err(text: &str) -> String {
        Kev::parse(text, "kev.json", now()).unwrap_err().to_string()
    }

    #[test]
    fn a_good_catalogue() {
        let t = catalog(
            2,
            &[
                entry("CVE-2021-44228", "2021-12-10", "Known"),
                entry("CVE-2025-48384", "2025-08-25", "Unknown"),
            ],
        );
        let k = Kev::parse(&t, "kev.json", now()).unwrap();
        assert_eq!(k.len(), 2);
        assert_eq!(k.catalog_version, "2025.08.25");
        assert!(k.get("CVE-2021-44228").unwrap().ransomware);
        assert!(!k.get("CVE-2025-48384").unwrap().ransomware);
        assert_eq!(
            k.info.date.unwrap().to_string(),
            "2025-08-25T17:04:19.9796Z"
        );
    }

    #[test]
    fn bad_catalogues_name_the_line_and_reason() {
        let good = entry("CVE-2021-44228", "2021-12-10", "Known");
        assert_eq!(
            err(""),
            "invalid KEV catalogue file kev.json, line 0: the file is empty"
        );
        let t = catalog(1, std::slice::from_ref(&good));
        let cut = &t[..t.len() / 2];
        assert!(err(cut).contains("ends early"), "{}", err(cut));
        let e = err(&catalog(2, std::slice::from_ref(&good)));
        assert!(
            e.contains("line 4: `count` says 2 but the catalogue lists 1"),
            "{e}"
        );
        let e = err(&catalog(0, &[]));
        assert!(e.contains("lists no vulnerabilities"), "{e}");
        let e = err(&catalog(2, &[good.clone(), good]));
        assert!(e.contains("line 7: CVE-2021-44228 is listed twice"), "{e}");
        let e = err(&catalog(
            1,
            &[entry("CVE-2021-44228", "2021-12-10", "Maybe")],
        ));
        assert!(
            e.contains("line 6:") && e.contains("neither `Known`"),
            "{e}"
        );
        let e = err(&catalog(
            1,
            &[entry("CVE-2021-44228", "12/10/2021", "Known")],
        ));
        assert!(e.contains("not a YYYY-MM-DD date"), "{e}");
        let e = err(&catalog(1, &[entry("GHSA-xxxx", "2021-12-10", "Known")]));
        assert!(e.contains("not a CVE id"), "{e}");
        let e = err(&catalog(
            1,
            &[entry("CVE-2026-0001", "2026-01-02", "Known")],
        ));
        assert!(
            e.contains("line 6: CVE-2026-0001: dateAdded") && e.contains("future"),
            "{e}"
        );
        let e = err(&t.replace("\"count\": 1", "\"count\": \"1\""));
        assert!(
            e.contains("invalid type: string \"1\", expected u64"),
            "{e}"
        );
        let e = err(&t.replace("2025-08-25T17:04:19.9796Z", "2025-10-01T00:00:00Z"));
        assert!(
            e.contains("line 3: dateReleased") && e.contains("future"),
            "{e}"
        );
        let e = err("[1, 2]");
        assert!(e.contains("expected a KEV catalogue object"), "{e}");
    }
}
