//! The layering, checked on the source: every file of the crate is parsed
//! with syn, each path it names (in `use` trees, in code, in macro bodies)
//! is resolved to the room it lies in, and held against one table.
//! `#[cfg(test)]` items (unit-test modules and functions) may do what their
//! room may not.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use proc_macro2::{Spacing, TokenStream, TokenTree};
use syn::visit::{self, Visit};

/// A room: a module path under the crate root. A file belongs to the
/// longest room its module path starts with; a room always uses itself and
/// its inner rooms, and every room may use `i18n` (the interface's words).
struct Room {
    name: &'static str,
    /// The rooms it may use; `None`: every room.
    uses: Option<&'static [&'static str]>,
    /// What it may not name: a path (`std::fs`, and all below it), a macro
    /// (`println!`) or a method call (`.send()`).
    never: &'static [&'static str],
}

const NO_IO: &[&str] = &[
    "std::fs",
    "std::net",
    "std::process",
    "println!",
    "eprintln!",
    "print!",
    "eprint!",
    "dbg!",
];

/// Saving is the writer thread's: the kiosk hands it effects.
const NO_SAVES: &[&str] = &[".commit()", ".commit_at()", ".commit_dated()", ".next_codes()"];

/// The update functions only describe saves; the runtime carries them out.
const ONLY_EFFECTS: &[&str] = &[
    ".commit()",
    ".commit_at()",
    ".commit_dated()",
    ".next_codes()",
    ".send()",
    "crate::storage::Writer",
    "crate::storage::writer",
];

const ROOMS: &[Room] = &[
    Room {
        name: "domain",
        uses: Some(&[]),
        never: NO_IO,
    },
    Room {
        name: "limits",
        uses: Some(&[]),
        never: &[],
    },
    Room {
        name: "i18n",
        uses: Some(&[]),
        never: &[],
    },
    Room {
        name: "storage",
        uses: Some(&["domain", "limits"]),
        never: &[],
    },
    Room {
        name: "transfer",
        uses: Some(&["domain", "limits", "storage"]),
        never: &[],
    },
    Room {
        name: "books",
        uses: Some(&["domain", "storage", "transfer"]),
        never: NO_IO,
    },
    Room {
        name: "jobs",
        uses: Some(&["domain", "storage"]),
        never: NO_IO,
    },
    Room {
        name: "reports",
        uses: Some(&["domain", "storage"]),
        never: NO_IO,
    },
    Room {
        name: "print",
        uses: Some(&["domain", "limits", "storage", "jobs", "reports"]),
        never: &[],
    },
    Room {
        name: "sync",
        uses: Some(&["domain", "limits", "storage", "jobs"]),
        never: &[],
    },
    Room {
        name: "sync::protocol",
        uses: Some(&["domain"]),
        never: &[],
    },
    Room {
        name: "sync::tls",
        uses: Some(&["domain"]),
        never: &[],
    },
    Room {
        name: "sync::secret",
        uses: Some(&[]),
        never: &[],
    },
    Room {
        name: "county",
        uses: Some(&["domain", "sync::protocol", "sync::tls", "sync::secret"]),
        never: &[],
    },
    Room {
        name: "tui",
        uses: Some(&["domain", "limits", "storage", "jobs", "reports"]),
        never: NO_SAVES,
    },
    Room {
        name: "tui::update",
        uses: Some(&["domain", "storage", "jobs", "tui", "reports"]),
        never: ONLY_EFFECTS,
    },
    Room {
        name: "commands",
        uses: None,
        never: &[],
    },
    Room {
        name: "cli",
        uses: None,
        never: &[],
    },
    Room {
        name: "main",
        uses: None,
        never: &[],
    },
];

/// Crates and items only these rooms may name (and their inner rooms).
const ONLY_IN: &[(&str, &[&str])] = &[
    ("sled", &["storage"]),
    ("crate::storage::Store", &["storage", "commands"]),
    ("sqlx", &["county", "commands"]),
    ("axum", &["county", "commands"]),
    ("axum_server", &["county", "commands"]),
    ("tower_governor", &["county", "commands"]),
    ("tokio", &["county", "commands", "main"]),
    ("ureq", &["sync"]),
    ("ratatui", &["tui", "commands", "cli", "main"]),
    ("crossterm", &["tui", "commands", "cli", "main"]),
];

/// One path a file may not name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Violation {
    file: String,
    line: usize,
    /// The path as resolved from the crate root (`crate::…`), or the
    /// macro (`println!`) or method (`.send()`).
    path: String,
    why: String,
}

fn segments(path: &str) -> Vec<&str> {
    path.split("::").collect()
}

fn starts_with(path: &[String], prefix: &[&str]) -> bool {
    path.len() >= prefix.len() && path.iter().zip(prefix).all(|(a, b)| a == b)
}

/// The room of a module path (without `crate`): the longest room that is
/// a prefix of it, else its first segment.
fn room_of(module: &[String]) -> Option<String> {
    ROOMS
        .iter()
        .filter(|r| starts_with(module, &segments(r.name)))
        .max_by_key(|r| r.name.len())
        .map(|r| r.name.to_string())
        .or_else(|| module.first().cloned())
}

fn room(name: &str) -> Option<&'static Room> {
    ROOMS.iter().find(|r| r.name == name)
}

/// `inner` is `outer` or one of its inner rooms.
fn within(inner: &str, outer: &str) -> bool {
    inner == outer || inner.starts_with(&format!("{outer}::"))
}

/// Why `room` may not name `path` (resolved), if it may not.
fn refuse(room_name: &str, path: &[String]) -> Option<String> {
    let shown = path.join("::");
    for (what, rooms) in ONLY_IN {
        if starts_with(path, &segments(what)) && !rooms.iter().any(|r| within(room_name, r)) {
            return Some(format!("{what} is only for {}", rooms.join(", ")));
        }
    }
    let here = room(room_name)?;
    for never in here.never {
        if !never.ends_with('!') && !never.starts_with('.') && starts_with(path, &segments(never)) {
            return Some(format!("{room_name} never names {never}"));
        }
    }
    if path.first().map(String::as_str) != Some("crate") {
        return None;
    }
    let target = room_of(&path[1..])?;
    let allowed = match here.uses {
        None => true,
        Some(uses) => {
            within(&target, room_name) || target == "i18n" || uses.iter().any(|u| within(&target, u))
        }
    };
    (!allowed).then(|| format!("{room_name} may not use {target} ({shown})"))
}

/// Whether the attributes make an item test-only (`#[cfg(test)]`).
fn test_only(attrs: &[syn::Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| a.path().is_ident("cfg") && a.parse_args::<syn::Path>().is_ok_and(|p| p.is_ident("test")))
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    use syn::Item::*;
    match item {
        Const(i) => &i.attrs,
        Enum(i) => &i.attrs,
        ExternCrate(i) => &i.attrs,
        Fn(i) => &i.attrs,
        ForeignMod(i) => &i.attrs,
        Impl(i) => &i.attrs,
        Macro(i) => &i.attrs,
        Mod(i) => &i.attrs,
        Static(i) => &i.attrs,
        Struct(i) => &i.attrs,
        Trait(i) => &i.attrs,
        TraitAlias(i) => &i.attrs,
        Type(i) => &i.attrs,
        Union(i) => &i.attrs,
        Use(i) => &i.attrs,
        _ => &[],
    }
}

/// Every leaf of a `use` tree: its path and the name it brings in.
fn flatten(
    tree: &syn::UseTree,
    prefix: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>, usize)>,
) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let mut path = prefix.clone();
            let name = n.ident.to_string();
            if name != "self" {
                path.push(name.clone());
            }
            let bound = if name == "self" {
                prefix.last().cloned()
            } else {
                Some(name)
            };
            out.push((path, bound, n.ident.span().start().line));
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            if r.ident != "self" {
                path.push(r.ident.to_string());
            }
            out.push((path, Some(r.rename.to_string()), r.ident.span().start().line));
        }
        syn::UseTree::Glob(g) => out.push((prefix.clone(), None, g.star_token.span.start().line)),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                flatten(t, prefix, out);
            }
        }
    }
}

/// A `mod name;` declaration.
struct Child {
    module: Vec<String>,
    /// `#[path = "…"]`
    path: Option<String>,
    /// Declared `#[cfg(test)]`: its file is left out.
    test: bool,
}

/// Checks one module's items (a file or an inline module).
struct Checker<'a> {
    file: &'a str,
    /// Module path from the crate root, without `crate`.
    module: Vec<String>,
    /// Names brought in by this module's `use` items, resolved.
    aliases: BTreeMap<String, Vec<String>>,
    /// The binary's root names the library `jiedai`.
    binary: bool,
    /// `mod name;` declarations: (module path, `#[path]`, test-only).
    children: Vec<Child>,
    /// Names brought in whose own `use` was refused (reported there).
    refused: BTreeSet<String>,
    found: Vec<Violation>,
}

/// The `use` items of a module (in its functions too, not in inner modules
/// or test-only items).
struct Uses<'a>(&'a mut Vec<(Vec<String>, Option<String>, usize)>);

impl<'ast> Visit<'ast> for Uses<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        if test_only(item_attrs(item)) || matches!(item, syn::Item::Mod(_)) {
            return;
        }
        visit::visit_item(self, item);
    }
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        flatten(&u.tree, &mut Vec::new(), self.0);
    }
}

impl Checker<'_> {
    fn new<'a>(file: &'a str, module: Vec<String>, binary: bool) -> Checker<'a> {
        Checker {
            file,
            module,
            aliases: BTreeMap::new(),
            binary,
            children: Vec::new(),
            refused: BTreeSet::new(),
            found: Vec::new(),
        }
    }

    /// The path from the crate root that `path` names here, when it starts
    /// at the crate, at this module, at a name this module brought in, or
    /// at an outside crate.
    fn resolve(&self, path: &[String]) -> Option<Vec<String>> {
        let first = path.first()?;
        let mut out = match first.as_str() {
            "crate" if self.binary => vec!["crate".to_string(), "main".to_string()],
            "crate" => vec!["crate".to_string()],
            "jiedai" if self.binary => vec!["crate".to_string()],
            "self" => std::iter::once("crate".to_string())
                .chain(self.module.clone())
                .collect(),
            "super" => {
                let mut m = self.module.clone();
                let mut rest = path;
                while rest.first().is_some_and(|s| s == "super") {
                    m.pop();
                    rest = &rest[1..];
                }
                let mut out: Vec<String> = std::iter::once("crate".to_string()).chain(m).collect();
                out.extend(rest.iter().cloned());
                return Some(out);
            }
            _ => match self.aliases.get(first) {
                Some(full) => full.clone(),
                None => vec![first.clone()],
            },
        };
        out.extend(path[1..].iter().cloned());
        Some(out)
    }

    /// A `mod name;` declaration: its file is checked in turn (or, for a
    /// test-only module, left out).
    fn declare(&mut self, m: &syn::ItemMod, test: bool) {
        if m.content.is_some() {
            return;
        }
        let mut module = self.module.clone();
        module.push(m.ident.to_string());
        let path = m
            .attrs
            .iter()
            .find(|a| a.path().is_ident("path"))
            .and_then(|a| match &a.meta {
                syn::Meta::NameValue(nv) => match &nv.value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => Some(s.value()),
                    _ => None,
                },
                _ => None,
            });
        self.children.push(Child { module, path, test });
    }

    fn room(&self) -> String {
        room_of(&self.module).unwrap_or_default()
    }

    fn report(&mut self, line: usize, path: String, why: String) {
        self.found.push(Violation {
            file: self.file.to_string(),
            line,
            path,
            why,
        });
    }

    fn check_path(&mut self, path: &[String], line: usize) {
        if self.refused.contains(&path[0]) {
            return;
        }
        let Some(full) = self.resolve(path) else { return };
        if let Some(why) = refuse(&self.room(), &full) {
            self.report(line, full.join("::"), why);
        }
    }

    fn check_named(&mut self, name: String, line: usize) {
        let here = self.room();
        if room(&here).is_some_and(|r| r.never.contains(&name.as_str())) {
            self.report(line, name.clone(), format!("{here} never uses {name}"));
        }
    }

    /// Paths in a macro's tokens (`a::b::c`, `$crate::x`).
    fn check_tokens(&mut self, tokens: TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < tokens.len() {
            match &tokens[i] {
                TokenTree::Group(g) => {
                    self.check_tokens(g.stream());
                    i += 1;
                }
                TokenTree::Ident(first) => {
                    let line = first.span().start().line;
                    let mut path = vec![first.to_string()];
                    let mut j = i + 1;
                    while let (
                        Some(TokenTree::Punct(a)),
                        Some(TokenTree::Punct(b)),
                        Some(TokenTree::Ident(next)),
                    ) = (tokens.get(j), tokens.get(j + 1), tokens.get(j + 2))
                    {
                        if a.as_char() != ':' || a.spacing() != Spacing::Joint || b.as_char() != ':' {
                            break;
                        }
                        path.push(next.to_string());
                        j += 3;
                    }
                    if path.len() > 1 {
                        self.check_path(&path, line);
                    }
                    i = j;
                }
                _ => i += 1,
            }
        }
    }

    fn check_items(&mut self, items: &[syn::Item]) {
        let mut uses = Vec::new();
        let mut collect = Uses(&mut uses);
        for item in items {
            collect.visit_item(item);
        }
        let saved = std::mem::take(&mut self.aliases);
        let saved_refused = std::mem::take(&mut self.refused);
        for (path, bound, _) in &uses {
            if let (Some(name), Some(full)) = (bound, self.resolve(path)) {
                if refuse(&self.room(), &full).is_some() {
                    self.refused.insert(name.clone());
                }
                self.aliases.insert(name.clone(), full);
            }
        }
        for item in items {
            self.visit_item(item);
        }
        self.aliases = saved;
        self.refused = saved_refused;
    }
}

impl<'ast> Visit<'ast> for Checker<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        if test_only(item_attrs(item)) {
            if let syn::Item::Mod(m) = item {
                self.declare(m, true);
            }
            return;
        }
        visit::visit_item(self, item);
    }

    fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
        let attrs = match item {
            syn::ImplItem::Fn(f) => &f.attrs,
            syn::ImplItem::Const(c) => &c.attrs,
            syn::ImplItem::Type(t) => &t.attrs,
            _ => return visit::visit_impl_item(self, item),
        };
        if !test_only(attrs) {
            visit::visit_impl_item(self, item);
        }
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        let mut module = self.module.clone();
        module.push(m.ident.to_string());
        match &m.content {
            Some((_, items)) => {
                let outer = std::mem::replace(&mut self.module, module);
                self.check_items(items);
                self.module = outer;
            }
            None => self.declare(m, false),
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut leaves = Vec::new();
        flatten(&u.tree, &mut Vec::new(), &mut leaves);
        for (path, _, line) in leaves {
            self.check_path(&path, line);
        }
    }

    /// `pub(super)` and `pub(in crate::x)` say who may see an item; they
    /// use nothing.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let path: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        if let Some(first) = p.segments.first() {
            self.check_path(&path, first.ident.span().start().line);
        }
        visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if let Some(last) = m.path.segments.last() {
            self.check_named(format!("{}!", last.ident), last.ident.span().start().line);
        }
        self.check_tokens(m.tokens.clone());
        visit::visit_macro(self, m);
    }

    fn visit_expr_method_call(&mut self, c: &'ast syn::ExprMethodCall) {
        self.check_named(format!(".{}()", c.method), c.method.span().start().line);
        visit::visit_expr_method_call(self, c);
    }
}

/// The violations in one file's source, for a file at `module` (module
/// path under the crate root; `["main"]` for the binary's root), and the
/// files of its `mod name;` declarations.
fn check_source(file: &str, module: &[&str], source: &str) -> (Vec<Violation>, Vec<Child>) {
    let syntax = syn::parse_file(source).unwrap_or_else(|e| panic!("{file}: {e}"));
    let binary = module == ["main"];
    let mut checker = Checker::new(file, module.iter().map(|s| s.to_string()).collect(), binary);
    checker.check_items(&syntax.items);
    (checker.found, checker.children)
}

/// Every violation under src/, following `mod` declarations from the
/// library's and the binary's roots; every .rs file there must be reached
/// (or be a test-only module).
fn check_tree() -> Vec<Violation> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let mut queue: Vec<(PathBuf, Vec<String>)> = vec![
        (src.join("lib.rs"), vec![]),
        (src.join("main.rs"), vec!["main".to_string()]),
    ];
    let mut reached = BTreeSet::new();
    let mut tests = BTreeSet::new();
    let mut found = Vec::new();
    while let Some((file, module)) = queue.pop() {
        let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let shown = file.strip_prefix(root).unwrap().display().to_string();
        let module_ref: Vec<&str> = module.iter().map(String::as_str).collect();
        let (mut f, children) = check_source(&shown, &module_ref, &text);
        found.append(&mut f);
        // A file `x.rs` keeps its modules in `x/`; `mod.rs`, `lib.rs` and
        // `main.rs` beside themselves.
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        let dir = if ["mod", "lib", "main"].contains(&name.as_str()) {
            file.parent().unwrap().to_path_buf()
        } else {
            file.parent().unwrap().join(&name)
        };
        for child in children {
            let leaf = child.module.last().unwrap().clone();
            let child_file = match child.path {
                Some(p) => file.parent().unwrap().join(p),
                None if dir.join(format!("{leaf}.rs")).exists() => dir.join(format!("{leaf}.rs")),
                None => dir.join(&leaf).join("mod.rs"),
            };
            if child.test {
                tests.insert(child_file);
            } else {
                queue.push((child_file, child.module));
            }
        }
        reached.insert(file);
    }
    let unreached: Vec<String> = sources(&src)
        .into_iter()
        .filter(|f| !reached.contains(f) && !tests.contains(f))
        .map(|f| f.display().to_string())
        .collect();
    assert!(unreached.is_empty(), "files no module declares: {unreached:#?}");
    found.sort();
    found
}

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The README's Design section names every module: a file by its name
/// (`writer.rs` or `writer`), a folder's `mod.rs` by the folder's.
#[test]
fn the_design_section_names_every_module() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = fs::read_to_string(root.join("README.md")).unwrap();
    let start = readme.find("\n## Design").expect("README has a Design section");
    let design = &readme[start + 1..];
    let design = &design[..design[3..].find("\n## ").map_or(design.len(), |e| e + 3)];
    let words: BTreeSet<&str> = design
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    let unnamed: Vec<String> = sources(&root.join("src"))
        .into_iter()
        .filter(|file| {
            let stem = file.file_stem().unwrap().to_str().unwrap();
            let name = match stem {
                "mod" => file.parent().unwrap().file_name().unwrap().to_str().unwrap(),
                other => other,
            };
            !words.contains(name)
        })
        .map(|file| file.strip_prefix(root).unwrap().display().to_string())
        .collect();
    assert!(
        unnamed.is_empty(),
        "modules the README's Design section does not name: {unnamed:#?}"
    );
}

#[test]
fn every_room_keeps_to_the_table() {
    let found = check_tree();
    let wrong: Vec<String> = found
        .iter()
        .map(|v| format!("{}:{}: {} ({})", v.file, v.line, v.path, v.why))
        .collect();
    assert!(
        wrong.is_empty(),
        "arrows the table forbids:\n{}",
        wrong.join("\n")
    );
}

/// What the check finds in `source` as a file of `module`: (line, path),
/// each named with `file`.
fn lines_found(file: &str, module: &[&str], source: &str) -> Vec<(usize, String)> {
    let (found, _) = check_source(file, module, source);
    assert!(found.iter().all(|v| v.file == file), "{found:#?}");
    found.into_iter().map(|v| (v.line, v.path)).collect()
}

#[test]
fn a_wrong_import_and_a_wrong_call_are_reported_with_their_lines() {
    let source = "\
use crate::{storage::Store, sync};
use crate::domain::Appeal;

fn f(r: &crate::storage::Reader) {
    let _ = crate::sync::client::overview(r);
}
";
    let got = lines_found("src/tui/wrong.rs", &["tui", "wrong"], source);
    assert_eq!(
        got.iter().map(|(l, p)| (*l, p.as_str())).collect::<Vec<_>>(),
        [
            (1, "crate::storage::Store"),
            (1, "crate::sync"),
            (5, "crate::sync::client::overview"),
        ],
        "{got:#?}"
    );
}

#[test]
fn names_brought_in_and_relative_paths_resolve_to_their_room() {
    let source = "\
use super::super::sync as s;
use crate::storage;

fn f() {
    s::client::overview();
    let _ = storage::Store::open(\"x\");
    println!(\"{}\", crate::county::serve());
}
";
    let got = lines_found("src/tui/update/mod.rs", &["tui", "update"], source);
    assert_eq!(
        got.iter().map(|(l, p)| (*l, p.as_str())).collect::<Vec<_>>(),
        // `s::…` is reported once, where `s` is brought in.
        [
            (1, "crate::sync"),
            (6, "crate::storage::Store::open"),
            (7, "crate::county::serve"),
        ],
        "{got:#?}"
    );
}

#[test]
fn only_test_modules_are_left_out() {
    let source = "\
#[cfg(test)]
mod tests {
    use crate::sync;
}

pub fn after() {
    let _ = crate::sync::client::overview();
    println!(\"no\");
}

#[cfg(not(test))]
fn kept() {
    let _ = std::fs::read(\"x\");
}
";
    let got = lines_found("src/domain/x.rs", &["domain", "x"], source);
    assert_eq!(
        got.iter().map(|(l, p)| (*l, p.as_str())).collect::<Vec<_>>(),
        [
            (7, "crate::sync::client::overview"),
            (8, "println!"),
            (13, "std::fs::read"),
        ],
        "{got:#?}"
    );
}
