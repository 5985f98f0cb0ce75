//! The command line, scanned by hand for exact control of the messages (and of exit status
//! 125): `--name VALUE` or `--name=VALUE`, `--` or the first word not starting with `-` ends the
//! options.

use std::collections::VecDeque;
use std::ffi::OsString;

use crate::{Fail, fail};

pub struct Args {
    args: VecDeque<OsString>,
    /// The value given as `--name=VALUE`, and the option it belongs to.
    inline: Option<(String, OsString)>,
}

impl Args {
    pub fn new(args: impl IntoIterator<Item = OsString>) -> Args {
        Args { args: args.into_iter().collect(), inline: None }
    }

    /// The next word, whatever it is.
    pub fn next_word(&mut self) -> Option<OsString> {
        self.args.pop_front()
    }

    /// Whether the next word asks for help.
    pub fn wants_help(&self) -> bool {
        self.args.front().is_some_and(|a| a == "--help" || a == "-h")
    }

    /// The next option (`--name`), or `None` at `--` (consumed) or at the first other word.
    pub fn option(&mut self) -> Result<Option<String>, Fail> {
        if let Some((option, _)) = self.inline.take() {
            return Err(fail(format!("{option} takes no value")));
        }
        let Some(word) = self.args.front() else { return Ok(None) };
        if word == "--" {
            self.args.pop_front();
            return Ok(None);
        }
        let text = word.to_string_lossy().into_owned();
        if text == "-h" {
            self.args.pop_front();
            return Ok(Some("--help".into()));
        }
        if !text.starts_with('-') || text == "-" {
            return Ok(None);
        }
        if !text.starts_with("--") {
            return Err(fail(format!("unknown option {text} (options are spelled --name)")));
        }
        let word = self.args.pop_front().unwrap_or_default();
        match text.split_once('=') {
            Some((name, _)) => {
                // The value keeps its bytes: split the original after the first `=`.
                use std::os::unix::ffi::{OsStrExt, OsStringExt};
                let bytes = word.as_bytes();
                let at = bytes.iter().position(|&b| b == b'=').unwrap_or(bytes.len());
                let value = OsString::from_vec(bytes[at + 1..].to_vec());
                self.inline = Some((name.to_string(), value));
                Ok(Some(name.to_string()))
            }
            None => Ok(Some(text)),
        }
    }

    /// The value of `option` (`what` names it in the message when it is missing).
    pub fn value(&mut self, option: &str, what: &str) -> Result<OsString, Fail> {
        if let Some((_, value)) = self.inline.take() {
            return Ok(value);
        }
        self.args.pop_front().ok_or_else(|| fail(format!("{option} needs a {what}")))
    }

    /// Fails if an option's inline value was left unused (`--flag=x`).
    pub fn finish_options(&mut self) -> Result<(), Fail> {
        match self.inline.take() {
            Some((option, _)) => Err(fail(format!("{option} takes no value"))),
            None => Ok(()),
        }
    }

    /// The options of a subcommand that takes only `--json` (`status`, `check`): whether JSON
    /// was asked for, or `None` once `help` has been printed for `--help`.
    pub fn json_only(&mut self, command: &str, help: &str) -> Result<Option<bool>, Fail> {
        let mut json = false;
        while let Some(option) = self.option()? {
            match option.as_str() {
                "--json" => json = true,
                "--help" => {
                    print!("{help}");
                    return Ok(None);
                }
                other => {
                    return Err(fail(format!(
                        "{command}: unknown option {other} (see landlocked {command} --help)"
                    )));
                }
            }
        }
        self.finish_options()?;
        Ok(Some(json))
    }

    /// Everything left.
    pub fn rest(&mut self) -> Vec<OsString> {
        self.args.drain(..).collect()
    }
}
