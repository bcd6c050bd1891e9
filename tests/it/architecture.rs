//! The layering of DESIGN §8, read from the code's own imports.
//!
//! Every `use crate::…`, `use super::…` and inline `crate::…`/`super::…` path of product code (unit tests
//! left out) becomes an arrow from its file to the module it names. The arrows must form no
//! circle, and between the top-level modules they may only run the way DESIGN allows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Which top-level modules each top-level module may import. DESIGN §8: `web` and `jobs` →
/// `services` → (`db`, `providers`, `availability`, `domain`); `auth` beside `services`, using
/// `db`; `availability` → `domain` only; `providers` know nothing of `db`, `web` or `i18n`;
/// nothing imports `web` but `startup`.
const ALLOWED: &[(&str, &[&str])] = &[
    ("main", &["cli"]),
    (
        "cli",
        &[
            "clock",
            "config",
            "demo",
            "domain",
            "i18n",
            "jobs",
            "secrets",
            "services",
            "simulator",
            "startup",
        ],
    ),
    ("demo", &["clock", "config", "jobs", "secrets", "services", "simulator", "startup"]),
    (
        "startup",
        &["auth", "clock", "config", "db", "mail", "secrets", "services", "telemetry", "web"],
    ),
    ("web", &["auth", "config", "db", "domain", "i18n", "services", "telemetry"]),
    ("jobs", &["config", "domain", "services", "telemetry"]),
    (
        "services",
        &[
            "auth",
            "availability",
            "clock",
            "config",
            "db",
            "domain",
            "i18n",
            "mail",
            "outbound",
            "providers",
            "secrets",
            "telemetry",
        ],
    ),
    ("auth", &["db", "domain", "secrets"]),
    ("db", &["config", "domain", "secrets"]),
    ("providers", &["clock", "domain", "outbound", "telemetry"]),
    ("outbound", &[]),
    ("telemetry", &[]),
    ("availability", &["domain"]),
    ("i18n", &["domain"]),
    ("simulator", &["clock", "domain"]),
    ("config", &["mail", "secrets"]),
    ("mail", &["domain"]),
    ("secrets", &[]),
    ("clock", &[]),
    ("domain", &[]),
];

/// The one file of `web` that may ask the database directly: the readiness probe.
const WEB_DB_EXCEPTION: &str = "web::handlers::health";

/// The longest a handler may be: extract, call one service, render or redirect.
const HANDLER_LINES: usize = 26;

struct Source {
    module: String,
    text: String,
}

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn module_of(path: &Path) -> String {
    let relative = path.strip_prefix(src()).unwrap().with_extension("");
    let mut parts: Vec<String> =
        relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] {
        return String::new();
    }
    parts.join("::")
}

/// Removes `#[cfg(test)]` items (the unit tests live beside the code they test).
fn without_tests(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let item_end = match (after.find('{'), after.find(';')) {
            (Some(brace), semi) if semi.is_none_or(|s| brace < s) => {
                let mut depth = 0;
                let mut end = after.len();
                for (i, c) in after[brace..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = brace + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (_, Some(semi)) => semi + 1,
            _ => after.len(),
        };
        rest = &after[item_end..];
    }
    out.push_str(rest);
    out
}

/// Modules declared `#[cfg(test)] mod x;` in their parent: test-only files.
fn test_only_modules(sources: &[Source]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for s in sources {
        let mut rest = s.text.as_str();
        while let Some(at) = rest.find("#[cfg(test)]") {
            let after = rest[at + "#[cfg(test)]".len()..].trim_start();
            if let Some(decl) = after.strip_prefix("mod ")
                && let Some(name) = decl.split(';').next().filter(|n| !n.contains('{'))
            {
                let name = name.trim();
                found.insert(if s.module.is_empty() {
                    name.to_owned()
                } else {
                    format!("{}::{name}", s.module)
                });
            }
            rest = &rest[at + 1..];
        }
    }
    found
}

fn read_sources() -> Vec<Source> {
    let mut files = Vec::new();
    let mut dirs = vec![src()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let all: Vec<Source> = files
        .iter()
        .map(|p| Source { module: module_of(p), text: std::fs::read_to_string(p).unwrap() })
        .collect();
    let test_only = test_only_modules(&all);
    all.into_iter()
        .filter(|s| {
            !test_only.iter().any(|t| s.module == *t || s.module.starts_with(&format!("{t}::")))
        })
        .map(|s| Source { text: without_tests(&s.text), module: s.module })
        .collect()
}

/// Expands a `use` tree (`a::{b, c::{d, e}}`) into its paths.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else { return vec![tree] };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(p).into_iter().map(move |e| format!("{prefix}{e}")))
        .collect()
}

/// The code of a file without comments (doc links name modules, but import nothing).
fn code_only(text: &str) -> String {
    text.lines()
        .map(|line| {
            let mut in_string = false;
            let mut previous = ' ';
            for (i, c) in line.char_indices() {
                match c {
                    '"' if previous != '\\' => in_string = !in_string,
                    '/' if !in_string && previous == '/' => return &line[..i - 1],
                    _ => {}
                }
                previous = c;
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every module path a file names, absolute (`services::sync::Claim`, `db`, …).
fn referenced_paths(source: &Source) -> Vec<String> {
    let code = code_only(&source.text);
    let mut paths = Vec::new();
    // `use` statements (possibly over several lines), with their trees expanded.
    let mut statement: Option<String> = None;
    for line in code.lines() {
        let trimmed = line.trim_start();
        if statement.is_none() {
            let body = ["use ", "pub use ", "pub(crate) use ", "pub(super) use "]
                .iter()
                .find_map(|prefix| trimmed.strip_prefix(prefix));
            statement = body.map(str::to_owned);
        } else if let Some(s) = statement.as_mut() {
            s.push_str(trimmed);
        }
        if let Some(s) = statement.take_if(|s| s.contains(';')) {
            paths.extend(expand(s.split(';').next().unwrap_or_default()));
        }
    }
    // Inline paths in code: `crate::x::y` and `super::x::y` (not inside a longer path).
    let inline =
        code.match_indices("crate::").chain(code.match_indices("super::").filter(|(at, _)| {
            !code[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
        }));
    for (at, _) in inline {
        let tail: String = code[at..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        paths.push(tail);
    }
    let parent = source.module.rsplit_once("::").map_or("", |(p, _)| p).to_owned();
    paths
        .into_iter()
        .filter_map(|p| {
            if let Some(rest) = p.strip_prefix("crate::") {
                Some(rest.to_owned())
            } else if let Some(rest) = p.strip_prefix("super::") {
                Some(if parent.is_empty() { rest.to_owned() } else { format!("{parent}::{rest}") })
            } else {
                p.strip_prefix("self::").map(|rest| format!("{}::{rest}", source.module))
            }
        })
        .collect()
}

/// The module a path lands in: its longest prefix that is a file of the crate.
fn target_module(path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    (1..=segments.len())
        .rev()
        .map(|n| segments[..n].join("::"))
        .find(|candidate| modules.contains(candidate))
}

fn is_ancestor(ancestor: &str, module: &str) -> bool {
    module.starts_with(&format!("{ancestor}::"))
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

/// Arrows between files: from a module to each module it imports, leaving out a module's use
/// of its own ancestors (a child may use what its parent declares).
fn arrows(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<String> = sources.iter().map(|s| s.module.clone()).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for source in sources {
        let targets = graph.entry(source.module.clone()).or_default();
        for path in referenced_paths(source) {
            if let Some(target) = target_module(&path, &modules)
                && target != source.module
                && !is_ancestor(&target, &source.module)
            {
                targets.insert(target);
            }
        }
    }
    graph
}

/// Circles of arrows (strongly connected groups of more than one module).
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Two modules are in one circle when each reaches the other.
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(m) = stack.pop() {
            for next in graph.get(&m).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|m| (m, reach(m))).collect();
    let mut circles: Vec<Vec<String>> = Vec::new();
    let mut placed = BTreeSet::new();
    for m in graph.keys() {
        if placed.contains(m) || !reaches[m].contains(m) {
            continue;
        }
        let circle: Vec<String> =
            reaches[m].iter().filter(|o| reaches[*o].contains(m)).cloned().collect();
        placed.extend(circle.iter().cloned());
        circles.push(circle);
    }
    circles
}

#[test]
fn modules_import_each_other_in_one_direction_only() {
    let sources = read_sources();
    let graph = arrows(&sources);
    assert!(graph.len() > 100, "read {} modules: the reader is broken", graph.len());
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    for (from, targets) in &graph {
        let from_top = if from.is_empty() { "lib" } else { top(from) };
        if from_top == "lib" {
            continue;
        }
        let Some(may) = allowed.get(from_top) else {
            wrong.push(format!("{from}: a top-level module the layering does not know"));
            continue;
        };
        for target in targets {
            let to_top = top(target);
            if to_top == from_top {
                continue;
            }
            let exception = to_top == "db" && from_top == "web" && from == WEB_DB_EXCEPTION;
            let db_from_web = to_top == "db" && from_top == "web" && !exception;
            if !may.contains(&to_top) || db_from_web {
                wrong.push(format!("{from} -> {target}"));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against DESIGN §8:\n{}", wrong.join("\n"));
}

#[test]
fn no_modules_import_each_other_in_a_circle() {
    let graph = arrows(&read_sources());
    let found = circles(&graph);
    assert!(
        found.is_empty(),
        "modules that import each other, directly or around a circle:\n{}",
        found.iter().map(|c| c.join(" <-> ")).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_checks_see_a_wrong_import_and_a_circle() {
    // The reader itself: an arrow back up and a circle, in made-up sources, are found.
    let sources = vec![
        Source { module: "db::accounts".into(), text: "use crate::web::error::AppError;".into() },
        Source { module: "web::error".into(), text: "use crate::{db::accounts, domain};".into() },
        Source { module: "web".into(), text: "pub mod error;".into() },
        Source { module: "db".into(), text: "pub mod accounts;".into() },
        Source { module: "domain".into(), text: String::new() },
    ];
    let graph = arrows(&sources);
    assert!(graph["db::accounts"].contains("web::error"));
    assert!(graph["web::error"].contains("domain"));
    assert_eq!(circles(&graph), vec![vec!["db::accounts".to_owned(), "web::error".to_owned()]]);
    // A circle through an inline `super::` path, as two sibling views could make.
    let siblings = vec![
        Source { module: "web::views::a".into(), text: "use super::b::Form;".into() },
        Source { module: "web::views::b".into(), text: "fn f() { super::a::warn(); }".into() },
        Source { module: "web::views".into(), text: "pub mod a; pub mod b;".into() },
    ];
    let graph = arrows(&siblings);
    assert_eq!(circles(&graph), vec![vec!["web::views::a".to_owned(), "web::views::b".to_owned()]]);
}

#[test]
fn handlers_are_short_and_stand_alone() {
    let dir = src().join("web/handlers");
    let mut wrong = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == "mod.rs" {
            continue;
        }
        let text = without_tests(&std::fs::read_to_string(&path).unwrap());
        if text.contains("super::") || text.contains("web::handlers::") {
            wrong.push(format!("{name} imports another handler"));
        }
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !(line.starts_with("pub async fn ") || line.starts_with("pub fn ")) {
                continue;
            }
            let length = lines[i..].iter().position(|l| *l == "}").map_or(0, |end| end + 1);
            if length > HANDLER_LINES {
                wrong.push(format!("{name}: `{}` has {length} lines", line.trim_end_matches('(')));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "handlers should extract, call one service and render:\n{}",
        wrong.join("\n")
    );
}
