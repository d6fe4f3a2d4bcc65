//! The layout's rules, checked on the source itself (DESIGN.md "Layout"):
//! - `domain/` imports nothing of the crate outside `domain/`, and no I/O crate;
//! - `service/` sees ports only: no adapter, no `app`, no `http`;
//! - adapters import neither `service` nor `app` (nor `http`);
//! - `config` imports no adapter;
//! - no two modules import each other, directly or round a longer cycle.
//!
//! It reads every `.rs` file under `shared/src`, up to its `#[cfg(test)]`
//! module (tests may use whatever they need), and collects every path that
//! starts with `crate::` or `super::`, braces included.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// Crates (and std modules) that do I/O; the domain may use none of them.
const IO_CRATES: &[&str] = &[
    "tokio::",
    "reqwest::",
    "redb::",
    "aws_sdk_",
    "aws_config",
    "aws_lambda_events",
    "axum::",
    "lambda_http",
    "lambda_runtime",
    "tower",
    "hyper",
    "tracing",
    "std::fs",
    "std::net",
    "std::process",
    "std::env",
    "std::io",
];

struct Source {
    /// The module path of the file, e.g. `["domain", "retrieval", "index"]`.
    module: Vec<String>,
    /// Its code before any `#[cfg(test)]`, with comments removed.
    code: String,
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(path: &Path) -> Vec<String> {
    let rel = path.strip_prefix(SRC).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

fn sources() -> Vec<Source> {
    let mut paths = Vec::new();
    files(Path::new(SRC), &mut paths);
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read source");
            let before_tests = text.split("#[cfg(test)]").next().unwrap_or("");
            let code = before_tests
                .lines()
                .map(|l| match l.find("//") {
                    Some(i) => &l[..i],
                    None => l,
                })
                .collect::<Vec<_>>()
                .join("\n");
            Source {
                module: module_of(&path),
                code,
            }
        })
        .collect()
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

fn is_module(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_lowercase()) && name != "self"
}

/// The entries of a `{...}` group that starts `s` (after its `{`), split at
/// its top-level commas.
fn group_entries(s: &str) -> Vec<&str> {
    let (mut depth, mut start, mut out) = (0usize, 0, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                out.push(s[start..i].trim());
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out
}

/// The module paths (up to `depth` segments) that the path text `s` names:
/// one for `a::b::C`, one per entry for `{a::b, c}` and `a::{b, c}`.
fn paths_in(s: &str, depth: usize) -> Vec<Vec<String>> {
    if depth == 0 {
        return vec![Vec::new()];
    }
    if let Some(group) = s.strip_prefix('{') {
        return group_entries(group)
            .into_iter()
            .flat_map(|e| paths_in(e, depth))
            .collect();
    }
    let name = ident(s);
    if !is_module(&name) {
        return vec![Vec::new()];
    }
    let rest = &s[name.len()..];
    match rest.strip_prefix("::") {
        Some(rest) => paths_in(rest, depth - 1)
            .into_iter()
            .map(|mut tail| {
                tail.insert(0, name.clone());
                tail
            })
            .collect(),
        None => vec![vec![name]],
    }
}

/// Every module of the crate that `source` refers to, as a path of at most
/// two segments below the path's root (`crate` or the `super` it names).
fn references(source: &Source) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    let code = &source.code;
    for (i, _) in code.match_indices("crate::") {
        if i > 0 && code[..i].ends_with('$') {
            continue; // `$crate::` in a macro
        }
        for path in paths_in(&code[i + "crate::".len()..], 2) {
            if !path.is_empty() {
                out.insert(path);
            }
        }
    }
    for (i, _) in code.match_indices("super::") {
        if i > 0 && code[..i].ends_with("::") {
            continue; // the second `super::` of `super::super::`
        }
        let mut at = i;
        let mut parent = source.module.clone();
        while code[at..].starts_with("super::") {
            parent.pop();
            at += "super::".len();
        }
        for tail in paths_in(&code[at..], 1) {
            let mut path = parent.clone();
            path.extend(tail);
            out.insert(path);
        }
    }
    out
}

/// A file of a test-only module (`service/tests/…`).
fn is_test_module(module: &[String]) -> bool {
    module.iter().any(|m| m == "tests")
}

fn starts_with(path: &[String], prefix: &str) -> bool {
    path.first().is_some_and(|p| p == prefix)
}

fn all() -> Vec<(Source, BTreeSet<Vec<String>>)> {
    let all: Vec<_> = sources()
        .into_iter()
        .map(|s| {
            let r = references(&s);
            (s, r)
        })
        .collect();
    assert!(all.len() > 50, "the structure test found too few files");
    all
}

fn violations(layer: &str, forbidden: &[&str]) -> Vec<String> {
    let mut bad = Vec::new();
    for (source, refs) in all() {
        if !starts_with(&source.module, layer) || is_test_module(&source.module) {
            continue;
        }
        for r in refs {
            if forbidden.iter().any(|f| starts_with(&r, f)) {
                bad.push(format!(
                    "{} imports crate::{}",
                    source.module.join("::"),
                    r.join("::")
                ));
            }
        }
    }
    bad
}

#[test]
fn the_domain_imports_only_the_domain_and_no_io_crate() {
    let mut bad = Vec::new();
    for (source, refs) in all() {
        if !starts_with(&source.module, "domain") || is_test_module(&source.module) {
            continue;
        }
        for r in &refs {
            if !starts_with(r, "domain") {
                bad.push(format!(
                    "{} imports crate::{}",
                    source.module.join("::"),
                    r.join("::")
                ));
            }
        }
        for io in IO_CRATES {
            if source.code.contains(io) {
                bad.push(format!("{} uses {io}", source.module.join("::")));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "domain/ reaches outside itself:\n{}",
        bad.join("\n")
    );
}

#[test]
fn use_cases_see_ports_only() {
    let bad = violations(
        "service",
        &["adapters", "app", "http", "contract", "testing"],
    );
    assert!(
        bad.is_empty(),
        "service/ reaches past the ports:\n{}",
        bad.join("\n")
    );
}

#[test]
fn adapters_import_neither_use_cases_nor_the_composition_root() {
    let bad = violations(
        "adapters",
        &["service", "app", "http", "contract", "testing"],
    );
    assert!(
        bad.is_empty(),
        "an adapter reaches inward:\n{}",
        bad.join("\n")
    );
}

#[test]
fn configuration_imports_no_adapter() {
    let bad = violations("config", &["adapters", "service", "app", "http"]);
    assert!(
        bad.is_empty(),
        "config reaches outward:\n{}",
        bad.join("\n")
    );
}

/// The node a module path counts as for cycles: the layer and its first
/// module (`domain::retrieval`, `service::chat`, `ports`, `app`).
fn node(path: &[String]) -> String {
    match path.first().map(String::as_str) {
        Some("domain" | "service" | "adapters") => {
            path.iter().take(2).cloned().collect::<Vec<_>>().join("::")
        }
        Some(_) => path[0].clone(),
        None => String::new(),
    }
}

/// The crate's module graph, one node per `node()`.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (source, refs) in all() {
        let from = node(&source.module);
        if from.is_empty() || is_test_module(&source.module) {
            continue; // lib.rs declares the modules
        }
        for r in refs {
            let to = node(&r);
            if !to.is_empty() && to != from && !from.starts_with(&format!("{to}::")) {
                graph.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    graph
}

/// Every cycle a depth-first search closes, as `a -> b -> a`.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(n.to_string());
            cycles.push(cycle.join(" -> "));
            return;
        }
        if !done.insert(n.to_string()) {
            return;
        }
        stack.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            visit(m, graph, stack, done, cycles);
        }
        stack.pop();
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        visit(n, graph, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

#[test]
fn no_two_modules_import_each_other() {
    let graph = graph();
    // The graph is the real one: the chat turn sees the ports and the domain.
    let chat = &graph["service::chat"];
    assert!(
        chat.contains("ports") && chat.iter().any(|n| n.starts_with("domain::")),
        "{chat:?}"
    );
    let found = cycles(&graph);
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

/// The checker itself: a planted violation of each kind is found.
#[test]
fn the_checker_finds_what_it_looks_for() {
    let planted = Source {
        module: vec!["domain".into(), "x".into()],
        code: "use crate::{ports::Ports, domain::ids::UserId};\nuse super::super::app::App;\nuse super::y;".into(),
    };
    let refs = references(&planted);
    assert!(refs.contains(&vec!["ports".to_string()]), "{refs:?}");
    assert!(
        refs.contains(&vec!["domain".to_string(), "ids".to_string()]),
        "{refs:?}"
    );
    assert!(refs.contains(&vec!["app".to_string()]), "{refs:?}");
    assert!(
        refs.contains(&vec!["domain".to_string(), "y".to_string()]),
        "{refs:?}"
    );
}
