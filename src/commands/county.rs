//! `jiedai county …`: the county office's server and staff commands.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::CountyWhat;
use crate::i18n::Lang;

pub fn run(_dir: &Path, _db: Option<&str>, _what: &CountyWhat, lang: Lang) -> ExitCode {
    super::say(lang.pick("jiedai county：尚未完成", "jiedai county: not built yet"));
    ExitCode::from(super::exit::FAILED)
}
