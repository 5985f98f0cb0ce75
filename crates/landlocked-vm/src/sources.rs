//! The system's apt sources, read (never written) to find the Debian archive it uses: the private
//! apt trees of [`crate::apt`] fetch from the same mirror with the same key, and the set-up adds
//! a backports suite beside it ([`crate::setup`]).

use std::fs;
use std::path::PathBuf;

/// The apt sources file and directory of the system.
const LIST: &str = "/etc/apt/sources.list";
const PARTS: &str = "/etc/apt/sources.list.d";

/// apt's own keyring of the Debian archive, used when a source names none.
pub const DEFAULT_KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";

/// One enabled binary (`deb`) source: a URI and the suites taken from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub uri: String,
    pub suites: Vec<String>,
    /// The `Signed-By` keyring file, when the source names one by path.
    pub signed_by: Option<String>,
}

impl Source {
    /// The keyring that verifies this source: its own, else apt's Debian keyring.
    pub fn keyring(&self) -> &str {
        self.signed_by.as_deref().unwrap_or(DEFAULT_KEYRING)
    }

    /// A Debian archive, not the security archive (another layout, which has no backports).
    fn is_debian_archive(&self) -> bool {
        !self.uri.contains("security")
            && self.suites.iter().any(|s| !s.contains("security"))
            && (self.uri.contains("debian")
                || self.suites.iter().any(|s| {
                    ["bullseye", "bookworm", "trixie", "forky", "sid"]
                        .iter()
                        .any(|c| s.starts_with(c))
                }))
    }
}

/// Every enabled `deb` source of a system, in the order apt reads them.
#[derive(Clone, Debug, Default)]
pub struct Sources(pub Vec<Source>);

/// The system's sources: `/etc/apt/sources.list`, then `/etc/apt/sources.list.d/*.list` and
/// `*.sources` in name order. Unreadable files are left out, as apt warns and goes on.
pub fn system() -> Sources {
    let mut files = vec![PathBuf::from(LIST)];
    if let Ok(dir) = fs::read_dir(PARTS) {
        let mut more: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
        more.sort();
        files.extend(more);
    }
    let mut all = Vec::new();
    for file in files {
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        match file.extension().and_then(|e| e.to_str()) {
            Some("sources") => all.extend(parse_deb822(&text)),
            Some("list") => all.extend(parse_one_line(&text)),
            _ => {}
        }
    }
    Sources(all)
}

impl Sources {
    /// The first Debian archive of the list.
    pub fn debian_archive(&self) -> Result<&Source, String> {
        self.0.iter().find(|s| s.is_debian_archive()).ok_or_else(|| {
            format!("no Debian archive found in {LIST} or {PARTS}: apt cannot fetch from Debian")
        })
    }

    /// The Debian archive that serves `suite` (`bookworm`), for adding a sibling suite of it.
    pub fn archive_of(&self, suite: &str) -> Option<&Source> {
        self.0.iter().find(|s| s.is_debian_archive() && s.suites.iter().any(|x| x == suite))
    }

    /// Whether some enabled source already takes `suite`.
    pub fn has_suite(&self, suite: &str) -> bool {
        self.0.iter().any(|s| s.suites.iter().any(|x| x == suite))
    }
}

/// The deb822 stanza that adds `suite` from the same archive and with the same key as `like`.
pub fn deb822_stanza(like: &Source, suite: &str) -> String {
    let mut text = format!("Types: deb\nURIs: {}\nSuites: {suite}\nComponents: main\n", like.uri);
    if let Some(key) = &like.signed_by {
        text.push_str(&format!("Signed-By: {key}\n"));
    }
    text
}

fn parse_deb822(text: &str) -> Vec<Source> {
    let mut found = Vec::new();
    // Stanzas are separated by blank lines; comment lines belong to none.
    let text: String =
        text.lines().filter(|l| !l.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n");
    for stanza in text.split("\n\n") {
        let field = |name: &str| {
            stanza.lines().find_map(|l| {
                let (key, value) = l.split_once(':')?;
                key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
            })
        };
        let (Some(types), Some(uris), Some(suites)) =
            (field("Types"), field("URIs"), field("Suites"))
        else {
            continue;
        };
        let enabled = field("Enabled").is_none_or(|v| v != "no");
        if !enabled || !types.split_whitespace().any(|t| t == "deb") {
            continue;
        }
        // An inline key block is not a path; apt's keyring is the fallback for our own trees.
        let signed_by = field("Signed-By").filter(|k| k.starts_with('/'));
        let suites: Vec<String> = suites.split_whitespace().map(str::to_owned).collect();
        for uri in uris.split_whitespace() {
            found.push(Source {
                uri: uri.to_owned(),
                suites: suites.clone(),
                signed_by: signed_by.clone(),
            });
        }
    }
    found
}

fn parse_one_line(text: &str) -> Vec<Source> {
    let mut found = Vec::new();
    for line in text.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix("deb ") else {
            continue;
        };
        let mut signed_by = None;
        let rest = if let Some(opts) = rest.trim_start().strip_prefix('[') {
            let Some((opts, after)) = opts.split_once(']') else {
                continue;
            };
            signed_by = opts
                .split_whitespace()
                .find_map(|o| o.strip_prefix("signed-by="))
                .filter(|k| k.starts_with('/'))
                .map(str::to_owned);
            after
        } else {
            rest
        };
        let mut words = rest.split_whitespace();
        let (Some(uri), Some(suite)) = (words.next(), words.next()) else {
            continue;
        };
        found.push(Source { uri: uri.to_owned(), suites: vec![suite.to_owned()], signed_by });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deb822_skips_security_and_disabled() {
        let text = "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n\n\
                    Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nEnabled: no\n\n\
                    # a comment line\n\
                    Types: deb deb-src\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n\
                    Signed-By: /etc/keys/debian.gpg\n";
        let sources = Sources(parse_deb822(text));
        let m = sources.debian_archive().unwrap();
        assert_eq!(m.uri, "http://mirror.example/debian");
        assert_eq!(m.keyring(), "/etc/keys/debian.gpg");
        assert!(!sources.has_suite("bookworm-backports"));
        assert!(sources.has_suite("bookworm-security"));
        assert_eq!(sources.archive_of("bookworm").unwrap().uri, "http://mirror.example/debian");
    }

    #[test]
    fn one_line_with_options() {
        let text =
            "# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main\n";
        let sources = Sources(parse_one_line(text));
        let m = sources.debian_archive().unwrap();
        assert_eq!(m.uri, "http://m.example/debian");
        assert_eq!(m.keyring(), "/k.gpg");
        let other =
            Sources(parse_one_line("deb http://deb.nodesource.com/node_20.x nodistro main"));
        assert!(other.debian_archive().is_err());
        // No key named: apt's own, for the private trees.
        let plain = Sources(parse_one_line("deb http://m.example/debian bookworm main"));
        assert_eq!(plain.debian_archive().unwrap().keyring(), DEFAULT_KEYRING);
    }

    #[test]
    fn a_sibling_suite_keeps_the_archive_and_its_key() {
        let with_key = Source {
            uri: "http://m.example/debian".into(),
            suites: vec!["bookworm".into()],
            signed_by: Some("/usr/share/keyrings/debian-archive-keyring.gpg".into()),
        };
        assert_eq!(
            deb822_stanza(&with_key, "bookworm-backports"),
            "Types: deb\nURIs: http://m.example/debian\nSuites: bookworm-backports\n\
             Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
        );
        // A source trusted through apt's global keyrings gets the same trust, not a new key.
        let without = Source { signed_by: None, ..with_key };
        assert!(!deb822_stanza(&without, "bookworm-backports").contains("Signed-By"));
    }
}
