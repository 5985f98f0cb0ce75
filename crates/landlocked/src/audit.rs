//! Landlock's audit records (`LANDLOCK_ACCESS`, 1423, and `LANDLOCK_DOMAIN`, 1424; ABI 7) read
//! back from wherever they were written: auditd's log, `ausearch` (raw or `-i`), or the kernel
//! log when no audit daemon runs (`dmesg`, `journalctl -k`, `/dev/kmsg`). Records are joined
//! by domain and summarised.

use std::collections::BTreeMap;

/// One record's fields, in order.
type Fields = Vec<(String, String)>;

/// A domain's creator, from its `LANDLOCK_DOMAIN status=allocated` record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Creator {
    /// The creator's process.
    pub pid: Option<u32>,
    /// Its user.
    pub uid: Option<u32>,
    /// Its executable.
    pub exe: Option<String>,
    /// Its command name.
    pub comm: Option<String>,
}

/// Denials of the same kind on the same object.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Blocked {
    /// `fs.read_file`, `net.connect_tcp`, `scope.signal` (comma-separated when several).
    pub blockers: String,
    /// The object: a path, a port, a process.
    pub object: String,
    /// How many records.
    pub count: usize,
}

/// A domain and what it denied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Domain {
    /// Its id (hexadecimal, as the records write it).
    pub id: String,
    /// Who created it, when the records say.
    pub creator: Creator,
    /// What it denied, most frequent first.
    pub blocked: Vec<Blocked>,
    /// The total its `deallocated` record gives (denials logged or not).
    pub denials: Option<u64>,
}

/// The records' type, if it is one of Landlock's: 1423 access, 1424 domain.
fn record_type(line: &str) -> Option<u32> {
    let at = line.find("type=")? + 5;
    let word: String = line[at..].chars().take_while(|c| !c.is_whitespace()).collect();
    match word.as_str() {
        "LANDLOCK_ACCESS" | "1423" | "UNKNOWN[1423]" => Some(1423),
        "LANDLOCK_DOMAIN" | "1424" | "UNKNOWN[1424]" => Some(1424),
        _ => None,
    }
}

/// The fields audit writes as untrusted strings (`audit_log_untrustedstring`): quoted, or in
/// hexadecimal when they hold a space, a quote or a control character. A number (`dest=8080`)
/// is never hexadecimal.
const STRING_FIELDS: &[&str] = &["path", "exe", "comm", "ocomm", "name", "dev"];

/// A field's value: a string unquoted or decoded, its control characters (a terminal escape in
/// a file name) shown as `?`.
fn decode(key: &str, value: &str) -> String {
    crate::printable(&decode_string(key, value))
}

fn decode_string(key: &str, value: &str) -> String {
    if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        return inner.to_string();
    }
    let hex = STRING_FIELDS.contains(&key)
        && value.len() >= 2
        && value.len() % 2 == 0
        && value.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b));
    if hex {
        let bytes: Option<Vec<u8>> = (0..value.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&value[i..i + 2], 16).ok())
            .collect();
        if let Some(bytes) = bytes {
            return String::from_utf8_lossy(&bytes).into_owned();
        }
    }
    value.to_string()
}

/// The `key=value` fields after the record's `audit(...):` stamp.
fn fields(line: &str) -> Fields {
    let rest = match line.find("audit(").and_then(|i| line[i..].find(')').map(|j| i + j + 1)) {
        Some(end) => line[end..].trim_start_matches([' ', ':']),
        None => line,
    };
    let mut out = Vec::new();
    let mut chars = rest.char_indices().peekable();
    while let Some(&(start, _)) = chars.peek() {
        // A key up to '=', then a value: quoted, or up to the next space.
        let Some(eq) = rest[start..].find('=').map(|i| start + i) else { break };
        let key = rest[start..eq].trim().to_string();
        let value_start = eq + 1;
        let value_end = if rest[value_start..].starts_with('"') {
            rest[value_start + 1..].find('"').map_or(rest.len(), |i| value_start + i + 2)
        } else {
            rest[value_start..].find(' ').map_or(rest.len(), |i| value_start + i)
        };
        let value = decode(&key, &rest[value_start..value_end]);
        out.push((key, value));
        // Past the value and the spaces after it.
        while chars.peek().is_some_and(|&(i, _)| i < value_end) {
            chars.next();
        }
        while chars.peek().is_some_and(|&(_, c)| c == ' ') {
            chars.next();
        }
    }
    out
}

fn get<'a>(fields: &'a Fields, key: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// What an access record names: `/etc/passwd`, `port 443`, `process 1 (systemd)`.
fn object(fields: &Fields) -> String {
    if let Some(path) = get(fields, "path") {
        return path.to_string();
    }
    for key in ["dest", "lport", "dport", "sport"] {
        if let Some(port) = get(fields, key) {
            let addr = get(fields, "daddr").or_else(|| get(fields, "laddr"));
            return match addr {
                Some(addr) => format!("port {port} ({addr})"),
                None => format!("port {port}"),
            };
        }
    }
    if let Some(pid) = get(fields, "opid") {
        return match get(fields, "ocomm") {
            Some(comm) => format!("process {pid} ({comm})"),
            None => format!("process {pid}"),
        };
    }
    let rest: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k != "domain" && k != "blockers")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    rest.join(" ")
}

/// Every domain the records of `text` mention, in the order they first appear, with what each
/// denied.
pub fn domains(text: &str) -> Vec<Domain> {
    let mut order: Vec<String> = Vec::new();
    let mut found: BTreeMap<String, Domain> = BTreeMap::new();
    let mut counts: BTreeMap<String, BTreeMap<(String, String), usize>> = BTreeMap::new();
    for line in text.lines() {
        let Some(kind) = record_type(line) else { continue };
        let fields = fields(line);
        let Some(id) = get(&fields, "domain").map(str::to_string) else { continue };
        if !found.contains_key(&id) {
            order.push(id.clone());
            found.insert(id.clone(), Domain { id: id.clone(), ..Domain::default() });
        }
        let domain = found.get_mut(&id).expect("inserted");
        if kind == 1423 {
            let blockers = get(&fields, "blockers").unwrap_or("?").to_string();
            *counts.entry(id).or_default().entry((blockers, object(&fields))).or_default() += 1;
        } else {
            match get(&fields, "status") {
                Some("allocated") => {
                    let num = |k| get(&fields, k).and_then(|v| v.parse().ok());
                    domain.creator = Creator {
                        pid: num("pid"),
                        uid: num("uid"),
                        exe: get(&fields, "exe").map(str::to_string),
                        comm: get(&fields, "comm").map(str::to_string),
                    };
                }
                Some("deallocated") => {
                    domain.denials = get(&fields, "denials").and_then(|v| v.parse().ok());
                }
                _ => {}
            }
        }
    }
    order
        .into_iter()
        .filter_map(|id| {
            let mut domain = found.remove(&id)?;
            let mut blocked: Vec<Blocked> = counts
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(|((blockers, object), count)| Blocked { blockers, object, count })
                .collect();
            blocked.sort_by_key(|b| std::cmp::Reverse(b.count));
            domain.blocked = blocked;
            Some(domain)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUDITD: &str = r#"type=LANDLOCK_ACCESS msg=audit(1729738800.221:33): domain=1a6fdc679 blockers=fs.write_file path="/dev/tty" dev="devtmpfs" ino=9
type=LANDLOCK_DOMAIN msg=audit(1729738800.221:33): domain=1a6fdc679 status=allocated mode=enforcing pid=289 uid=0 exe="/root/sandboxer" comm="sandboxer"
type=SYSCALL msg=audit(1729738800.221:33): arch=c000003e syscall=257 success=no exit=-13 ppid=272 pid=289 comm="sh"
type=LANDLOCK_ACCESS msg=audit(1729738800.221:34): domain=1a6fdc679 blockers=fs.write_file path="/etc/passwd" dev="vda2" ino=143821
type=LANDLOCK_ACCESS msg=audit(1729738800.222:35): domain=1a6fdc679 blockers=fs.write_file path="/etc/passwd" dev="vda2" ino=143821
type=LANDLOCK_DOMAIN msg=audit(1729738800.261:36): domain=1a6fdc679 status=deallocated denials=3
"#;

    #[test]
    fn auditd_records_are_joined_by_domain() {
        let d = domains(AUDITD);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].id, "1a6fdc679");
        assert_eq!(d[0].creator.exe.as_deref(), Some("/root/sandboxer"));
        assert_eq!(d[0].creator.pid, Some(289));
        assert_eq!(d[0].denials, Some(3));
        assert_eq!(
            d[0].blocked[0],
            Blocked { blockers: "fs.write_file".into(), object: "/etc/passwd".into(), count: 2 }
        );
        assert_eq!(d[0].blocked[1].object, "/dev/tty");
    }

    #[test]
    fn kernel_log_and_ausearch_forms_are_read() {
        let kmsg = "6,1234,5678,-;audit: type=1423 audit(1729738800.268:30): domain=1a6fdc66f \
                    blockers=scope.signal opid=1 ocomm=\"systemd\"\n\
                    [   12.5] audit: type=1424 audit(1729738800.268:30): domain=1a6fdc66f \
                    status=allocated mode=enforcing pid=286 uid=0 exe=\"/root/sandboxer\" comm=\"sandboxer\"\n\
                    type=LANDLOCK_ACCESS msg=audit(12/01/2026 10:00:00.268:31) : domain=2b blockers=net.connect_tcp daddr=127.0.0.1 dest=443\n\
                    type=UNKNOWN[1423] msg=audit(1.2:3): domain=3c blockers=fs.read_file path=2F746D702F6120622E747874\n";
        let d = domains(kmsg);
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].blocked[0].object, "process 1 (systemd)");
        assert_eq!(d[0].creator.comm.as_deref(), Some("sandboxer"));
        assert_eq!(d[1].blocked[0].object, "port 443 (127.0.0.1)");
        assert_eq!(d[1].blocked[0].blockers, "net.connect_tcp");
        assert_eq!(d[2].blocked[0].object, "/tmp/a b.txt");
        assert!(domains("type=SYSCALL msg=audit(1.2:3): arch=c000003e\nnoise\n").is_empty());
        // Numbers stay numbers, even with an even count of digits; a name's escape is shown.
        let d = domains(
            "type=1423 audit(1.2:3): domain=4 blockers=net.bind_tcp lport=5432\n\
             type=1423 audit(1.2:4): domain=4 blockers=scope.signal opid=4242 ocomm=1B5B3241\n",
        );
        assert_eq!(d[0].blocked[0].object, "port 5432");
        assert_eq!(d[0].blocked[1].object, "process 4242 (?[2A)");
    }
}
