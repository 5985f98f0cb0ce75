//! clap's errors, told in landlocked's way: one line naming the input at fault, exit status 125,
//! clap's "did you mean" suggestion kept. Help and version go to stdout with status 0.

use clap::error::{ContextKind, ContextValue, ErrorKind};

use crate::{Fail, fail};

fn context(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(list) => Some(list.join(", ")),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        ContextValue::StyledStrs(list) => {
            Some(list.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))
        }
        ContextValue::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `--ro <PATH>` as clap names an argument: the option alone; `<SHELL>` as `shell`.
fn option_name(arg: &str) -> String {
    let name = arg.split([' ', '=']).next().unwrap_or(arg);
    match name.strip_prefix('<') {
        Some(positional) => positional.trim_end_matches(['>', '.']).to_lowercase(),
        None => name.to_string(),
    }
}

fn suggestion(e: &clap::Error) -> String {
    let suggested = context(e, ContextKind::SuggestedArg)
        .or_else(|| context(e, ContextKind::SuggestedSubcommand))
        .or_else(|| context(e, ContextKind::SuggestedValue));
    suggested.map_or(String::new(), |s| format!(" (did you mean {s}?)"))
}

/// What landlocked says of a command line clap refused.
pub fn message(e: &clap::Error) -> String {
    let arg = context(e, ContextKind::InvalidArg).unwrap_or_default();
    let value = context(e, ContextKind::InvalidValue).unwrap_or_default();
    match e.kind() {
        // The value parsers' own messages name the option and the value.
        ErrorKind::ValueValidation => match std::error::Error::source(e) {
            Some(source) => source.to_string(),
            None => format!("{}: bad value {value}", option_name(&arg)),
        },
        ErrorKind::UnknownArgument => {
            let hint = match suggestion(e) {
                s if s.is_empty() => " (see landlocked COMMAND --help)".to_string(),
                s => s,
            };
            format!("unknown option {arg}{hint}")
        }
        ErrorKind::InvalidSubcommand => {
            let command = context(e, ContextKind::InvalidSubcommand).unwrap_or_default();
            format!("unknown command {command}{} (see landlocked --help)", suggestion(e))
        }
        ErrorKind::InvalidValue | ErrorKind::WrongNumberOfValues if value.is_empty() => {
            let needs =
                arg.split_once('<').map_or("value", |(_, v)| v.trim_end_matches(['>', '.']));
            format!("{} needs a {needs}", option_name(&arg))
        }
        ErrorKind::InvalidValue => {
            let valid = context(e, ContextKind::ValidValue).unwrap_or_default();
            format!("{} {value}: not one of {valid}{}", option_name(&arg), suggestion(e))
        }
        ErrorKind::ArgumentConflict => {
            let prior = context(e, ContextKind::PriorArg).unwrap_or_default();
            let mut both = [option_name(&arg), option_name(&prior)];
            both.sort();
            if both[0] == both[1] || both[0].is_empty() {
                format!("{} given twice", both[1])
            } else {
                format!("{} and {} contradict each other", both[0], both[1])
            }
        }
        ErrorKind::TooManyValues => format!("{} takes no value", option_name(&arg)),
        ErrorKind::InvalidUtf8 => format!("{} must be UTF-8", option_name(&arg)),
        ErrorKind::NoEquals => format!("{} needs VALUE after =", option_name(&arg)),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "no command given: run, learn, status, check, denials or completions (landlocked \
             --help)"
                .to_string()
        }
        ErrorKind::MissingRequiredArgument => {
            if arg.contains("COMMAND") {
                // Which subcommand wants it: clap's error does not say.
                let sub = if std::env::args().nth(1).as_deref() == Some("learn") {
                    "learn"
                } else {
                    "run"
                };
                format!("{sub}: no COMMAND given (landlocked {sub} [OPTIONS] -- COMMAND [ARGS...])")
            } else if arg.contains("POLICY") {
                "check: no POLICY file given (landlocked check [--json] POLICY)".to_string()
            } else {
                format!("{arg} is required")
            }
        }
        _ => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("");
            first.strip_prefix("error: ").unwrap_or(first).to_string()
        }
    }
}

/// Help and version are printed (status 0); anything else is a usage error.
pub fn handle(e: clap::Error) -> Result<i32, Fail> {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            crate::write_stdout(&e.render().to_string())?;
            Ok(0)
        }
        _ => Err(fail(message(&e))),
    }
}
