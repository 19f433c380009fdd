//! Reading and writing the files users name on the command line: one bounded reader for
//! every whole-file input, one safe writer for every output file.
//!
//! **Reading.** Every input the binaries read whole goes through [`read_text_limited`] with
//! its kind's limit from [`limits`]. At most `limit` bytes are ever read and the buffer never
//! grows past `limit` (no doubling beyond it), so a huge file, a device or an endless stream
//! ends in an error, not in memory exhaustion. A NUL byte ends the read at once: no text
//! input (YAML, JSON, ignore files, tokens) may hold one, so `/dev/zero` is refused after
//! its first block. A leading UTF-8 byte-order mark is dropped. Reports are streamed by their
//! parsers and are not read here (their readers drop the mark too).
//!
//! **Writing.** [`write_atomic`] writes a temp file in the target's directory and renames it
//! over the target, so a reader never sees a partial file. An existing symlink is followed
//! (its target is replaced); a directory, device, FIFO or socket is refused.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// The per-kind limits of whole-file inputs, in bytes. Far above any real file of the kind;
/// they only keep a mistaken path from being read into memory.
pub mod limits {
    /// A token or password file (`--api-token-file`, `--token-file`): 64 KiB.
    pub const TOKEN: u64 = 64 * 1024;
    /// `.trivyignore` / `.trivyignore.yaml`: 4 MiB.
    pub const IGNORE: u64 = 4 * 1024 * 1024;
    /// slo.yaml and sli.yaml: 4 MiB.
    pub const SLO: u64 = 4 * 1024 * 1024;
    /// SLI values (`--sli-values`) and event data (`--data`): 16 MiB.
    pub const VALUES: u64 = 16 * 1024 * 1024;
    /// Evaluation history (`--history`, `--record`) and user-supplied feeds (KEV, EPSS,
    /// VEX): 32 MiB.
    pub const HISTORY: u64 = 32 * 1024 * 1024;
    /// A list of image references (`trivy-scan --images`): 16 MiB, some 200,000 references.
    pub const IMAGE_LIST: u64 = 16 * 1024 * 1024;
}

/// The default limit of [`read_text`]: the largest kind ([`limits::HISTORY`]).
pub const MAX_TEXT_FILE: u64 = limits::HISTORY;

/// Reads a whole text file, or stdin for `-`, up to [`MAX_TEXT_FILE`] bytes. Prefer
/// [`read_text_limited`] with the input's own limit.
///
/// # Errors
/// As [`read_text_limited`].
pub fn read_text(path: &Path) -> io::Result<String> {
    read_text_limited(path, MAX_TEXT_FILE)
}

/// Reads a whole text file, or stdin for `-`, up to `limit` bytes: never more is read, and
/// a regular file already larger than `limit` is refused before reading.
///
/// # Errors
/// The I/O error (`NotFound` stays `NotFound`), or `InvalidData` for a directory, a file
/// over the limit, a NUL byte, or text that is not UTF-8; the messages name the cause.
pub fn read_text_limited(path: &Path, limit: u64) -> io::Result<String> {
    if path == Path::new("-") {
        return read_text_from_limited(io::stdin().lock(), limit);
    }
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "it is a directory, not a file",
        ));
    }
    if meta.is_file() && meta.len() > limit {
        return Err(too_large(limit));
    }
    read_text_from_limited(file, limit)
}

/// As [`read_text`], from any reader.
///
/// # Errors
/// As [`read_text_limited`].
pub fn read_text_from(reader: impl Read) -> io::Result<String> {
    read_text_from_limited(reader, MAX_TEXT_FILE)
}

/// As [`read_text_limited`], from any reader.
///
/// # Errors
/// As [`read_text_limited`].
pub fn read_text_from_limited(mut reader: impl Read, limit: u64) -> io::Result<String> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut chunk = [0u8; 64 * 1024];
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let part = &chunk[..n];
        if let Some(i) = part.iter().position(|&b| b == 0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not a text file: a NUL byte at offset {}", buf.len() + i),
            ));
        }
        if buf.len() + n > limit {
            return Err(too_large(limit as u64));
        }
        if buf.capacity() < buf.len() + n {
            // Grow by doubling, but never past the limit.
            let want = (buf.capacity() * 2).max(buf.len() + n).min(limit);
            buf.reserve_exact(want - buf.len());
        }
        buf.extend_from_slice(part);
    }
    // A UTF-8 byte-order mark (Windows editors write one) is not part of the text: strip it
    // here, where every whole-file input enters, so no parser ever sees it.
    let bom = if buf.starts_with(UTF8_BOM) {
        buf.drain(..UTF8_BOM.len());
        UTF8_BOM.len()
    } else {
        0
    };
    String::from_utf8(buf).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                bom + e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// The UTF-8 byte-order mark, accepted (and dropped) at the start of every input.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

fn too_large(limit: u64) -> io::Error {
    let shown = if limit >= 1 << 20 {
        format!("{} MiB", limit >> 20)
    } else {
        format!("{} KiB", limit >> 10)
    };
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("too large: over {shown}, the limit for this kind of file"),
    )
}

/// Writes `contents` to `path` atomically: a temp file in the same directory, flushed to
/// disk, then renamed over the target. An existing symlink is followed (the file it points
/// to is replaced, the link stays); an existing directory, device, FIFO or socket is
/// refused. On any error the target is untouched and the temp file removed.
///
/// # Errors
/// `InvalidInput` for a target that is not a regular file; any I/O error.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    write_atomic_with(path, |f| f.write_all(contents))
}

/// As [`write_atomic`], with the contents written by `fill` (to stream a large file, such
/// as a saved report, without holding it in memory).
///
/// # Errors
/// As [`write_atomic`], and `fill`'s error.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> io::Result<()>,
) -> io::Result<()> {
    let target = resolve_target(path)?;
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let name = target
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    // create_new: never write through something another process placed at the temp name.
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(".{name}.{}.{attempt}.tmp", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 16 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let written = fill(&mut file)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            // Keep the permissions of the file being replaced.
            match std::fs::metadata(&target) {
                Ok(m) => std::fs::set_permissions(&tmp, m.permissions()),
                Err(_) => Ok(()),
            }
        })
        .and_then(|()| std::fs::rename(&tmp, &target));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Checks that [`write_atomic`] may write `path` (missing, a regular file, or a symlink to
/// one), without opening it: callers that read the file first (to append) call this before,
/// so a FIFO is refused instead of blocking the read.
///
/// # Errors
/// As [`write_atomic`].
pub fn check_writable(path: &Path) -> io::Result<()> {
    resolve_target(path).map(|_| ())
}

/// The regular file a write to `path` replaces: `path` itself, or the file its symlinks
/// lead to (which need not exist yet).
fn resolve_target(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    // Linux follows at most 40 links; so do we.
    for _ in 0..40 {
        let meta = match std::fs::symlink_metadata(&current) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        };
        let ft = meta.file_type();
        if ft.is_symlink() {
            let link = std::fs::read_link(&current)?;
            current = match current.parent() {
                Some(parent) if link.is_relative() => parent.join(link),
                _ => link,
            };
            continue;
        }
        if ft.is_file() {
            return Ok(current);
        }
        let kind = if ft.is_dir() {
            "a directory"
        } else {
            special_kind(&ft)
        };
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is {kind}, not a regular file; refusing to replace it",
                current.display()
            ),
        ));
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        "too many levels of symbolic links",
    ))
}

#[cfg(unix)]
fn special_kind(ft: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_char_device() || ft.is_block_device() {
        "a device"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that yields `b` forever (like `/dev/zero` or `yes`), counting what was read.
    struct Endless {
        byte: u8,
        read: usize,
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            buf.fill(self.byte);
            self.read += buf.len();
            Ok(buf.len())
        }
    }

    #[test]
    fn endless_text_stops_at_the_limit() {
        let mut r = Endless {
            byte: b'y',
            read: 0,
        };
        let e = read_text_from_limited(&mut r, 100_000).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("too large: over 97 KiB"), "{e}");
        assert!(r.read <= 100_000 + 64 * 1024, "read {} bytes", r.read);
    }

    #[test]
    fn nul_bytes_stop_at_once() {
        let mut r = Endless { byte: 0, read: 0 };
        let e = read_text_from_limited(&mut r, limits::HISTORY).unwrap_err();
        assert!(e.to_string().contains("NUL byte at offset 0"), "{e}");
        assert_eq!(r.read, 64 * 1024);
        let e = read_text_from(&b"ok\n\0"[..]).unwrap_err();
        assert!(e.to_string().contains("offset 3"), "{e}");
    }

    #[test]
    fn a_leading_byte_order_mark_is_dropped_once() {
        let t = read_text_from(&b"\xEF\xBB\xBFkey: 1\n"[..]).unwrap();
        assert_eq!(t, "key: 1\n");
        // Only the first one is a mark; a second is text and stays.
        let t = read_text_from(&b"\xEF\xBB\xBF\xEF\xBB\xBFx"[..]).unwrap();
        assert_eq!(t, "\u{feff}x");
        // Not at the start: text, kept.
        let t = read_text_from(&b"a\xEF\xBB\xBF"[..]).unwrap();
        assert_eq!(t, "a\u{feff}");
        // A mark alone is an empty file.
        assert_eq!(read_text_from(&b"\xEF\xBB\xBF"[..]).unwrap(), "");
        // Offsets in errors still count from the start of the file.
        let e = read_text_from(&b"\xEF\xBB\xBFab\xFF"[..]).unwrap_err();
        assert!(e.to_string().contains("offset 5"), "{e}");
    }

    #[test]
    fn text_within_the_limit_is_read_whole() {
        let text = "a: 1\n".repeat(50_000);
        assert_eq!(
            read_text_from_limited(text.as_bytes(), 250_000).unwrap(),
            text
        );
        assert!(read_text_from_limited(text.as_bytes(), 249_999).is_err());
        let e = read_text_from(&b"\xff"[..]).unwrap_err();
        assert!(e.to_string().contains("not UTF-8"), "{e}");
    }

    #[test]
    fn files_devices_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 2048]).unwrap();
        assert!(
            read_text_limited(&big, 2047)
                .unwrap_err()
                .to_string()
                .contains("too large")
        );
        assert_eq!(read_text_limited(&big, 2048).unwrap().len(), 2048);
        let e = read_text_limited(dir.path(), 10).unwrap_err();
        assert!(e.to_string().contains("directory"), "{e}");
        let e = read_text_limited(&dir.path().join("missing"), 10).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        #[cfg(unix)]
        {
            let e = read_text_limited(Path::new("/dev/zero"), limits::TOKEN).unwrap_err();
            assert!(e.to_string().contains("NUL byte"), "{e}");
        }
    }

    #[test]
    fn write_atomic_replaces_files_and_follows_links() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("out.json");
        write_atomic(&f, b"one").unwrap();
        write_atomic(&f, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "two");
        #[cfg(unix)]
        {
            let link = dir.path().join("link.json");
            std::os::unix::fs::symlink("out.json", &link).unwrap();
            write_atomic(&link, b"three").unwrap();
            assert!(
                std::fs::symlink_metadata(&link)
                    .unwrap()
                    .file_type()
                    .is_symlink()
            );
            assert_eq!(std::fs::read_to_string(&f).unwrap(), "three");
            // A dangling link creates its target.
            let dangling = dir.path().join("dangling");
            std::os::unix::fs::symlink("new.json", &dangling).unwrap();
            write_atomic(&dangling, b"four").unwrap();
            assert_eq!(
                std::fs::read_to_string(dir.path().join("new.json")).unwrap(),
                "four"
            );
            // A loop is an error, not a hang.
            let a = dir.path().join("a");
            std::os::unix::fs::symlink("b", &a).unwrap();
            std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
            assert!(write_atomic(&a, b"x").is_err());
        }
        let only: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(only.is_empty(), "temp files left: {only:?}");
    }

    #[test]
    fn write_atomic_refuses_special_files() {
        let dir = tempfile::tempdir().unwrap();
        let e = write_atomic(dir.path(), b"x").unwrap_err();
        assert!(e.to_string().contains("is a directory"), "{e}");
        #[cfg(unix)]
        {
            let e = write_atomic(Path::new("/dev/null"), b"x").unwrap_err();
            assert!(e.to_string().contains("is a device"), "{e}");
            let link = dir.path().join("to-dir");
            std::os::unix::fs::symlink(dir.path(), &link).unwrap();
            let e = write_atomic(&link, b"x").unwrap_err();
            assert!(e.to_string().contains("is a directory"), "{e}");
        }
    }
}
