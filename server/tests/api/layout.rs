//! The map of `app/src` holds: each folder imports only what it may (see
//! each folder's module comment and README "How it is built"), so that
//! infrastructure never depends on a feature, features build on each other
//! in one direction only, and no two folders import each other; inside
//! them, no two files do either, through any chain; and the time is read
//! in one place.
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What each top-level module of `app` may import, besides itself.
const MAY_IMPORT: &[(&str, &[&str])] = &[
    ("domain", &["i18n"]),
    ("i18n", &[]),
    ("text", &[]),
    ("error", &[]),
    ("server", &["domain", "error", "i18n", "text"]),
    ("records", &["server", "domain", "error", "i18n", "text"]),
    (
        "api",
        &["server", "records", "domain", "error", "i18n", "text"],
    ),
    (
        "signing",
        &["server", "records", "domain", "error", "i18n", "text"],
    ),
    (
        "accessibility",
        &["server", "domain", "error", "i18n", "text"],
    ),
    (
        "privacy",
        &[
            "server", "records", "signing", "domain", "error", "i18n", "text",
        ],
    ),
    (
        "backoffice",
        &[
            "server",
            "records",
            "domain",
            "error",
            "i18n",
            "text",
            "api",
            "pages",
            "components",
            "privacy",
        ],
    ),
    (
        "network",
        &[
            "backoffice",
            "server",
            "records",
            "domain",
            "error",
            "i18n",
            "text",
            "api",
        ],
    ),
    (
        "campaigns",
        &[
            "backoffice",
            "server",
            "records",
            "domain",
            "error",
            "i18n",
            "text",
            "api",
            "signing",
            "pages",
            "components",
        ],
    ),
    (
        "cases",
        &[
            "backoffice",
            "campaigns",
            "server",
            "records",
            "domain",
            "error",
            "i18n",
            "text",
            "api",
            "pages",
            "components",
        ],
    ),
    (
        "publishing",
        &[
            "backoffice",
            "cases",
            "campaigns",
            "server",
            "records",
            "domain",
            "error",
            "i18n",
            "text",
            "api",
            "pages",
            "components",
        ],
    ),
    (
        "feeds",
        &[
            "backoffice",
            "publishing",
            "server",
            "records",
            "domain",
            "error",
            "i18n",
            "text",
        ],
    ),
    (
        "pages",
        &[
            "server",
            "records",
            "domain",
            "error",
            "i18n",
            "text",
            "api",
            "signing",
            "privacy",
            "accessibility",
            "components",
        ],
    ),
    (
        "components",
        &[
            "domain", "error", "i18n", "text", "api", "signing", "privacy",
        ],
    ),
];

/// Exported macros live at the crate root; they belong to the module that defines them.
const MACROS: &[(&str, &str)] = &[
    ("on_pool", "server"),
    ("required_languages_by_person", "records"),
    ("claim", "server"),
    ("impl_for_connections", "server"),
    ("oldest_first", "records"),
    ("newest_first", "records"),
    ("current_status", "records"),
    ("translated", "records"),
    ("translation_join", "records"),
    ("translation_outdated", "records"),
    ("confirmed_count", "records"),
    ("paper_count", "records"),
    ("delivered", "records"),
    ("adoption_lasts", "records"),
    ("taken_down", "records"),
];

fn rust_files(path: &Path, out: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_owned());
    }
}

/// The top-level modules each top-level module of `app` names with `crate::`.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/src");
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, _) in MAY_IMPORT {
        let mut files = Vec::new();
        rust_files(&src.join(module), &mut files);
        rust_files(&src.join(format!("{module}.rs")), &mut files);
        assert!(
            !files.is_empty(),
            "app/src/{module} is gone: update this map"
        );
        let targets = edges.entry((*module).to_owned()).or_default();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (index, _) in text.match_indices("crate::") {
                if text[..index].ends_with('$') {
                    continue;
                }
                let name: String = text[index + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let target = MACROS
                    .iter()
                    .find(|(m, _)| *m == name)
                    .map_or(name.as_str(), |(_, owner)| owner);
                if target != *module {
                    targets.insert(target.to_owned());
                }
            }
        }
    }
    edges
}

#[test]
fn each_folder_imports_only_what_it_may_and_no_two_import_each_other() {
    let edges = imports();
    for (module, allowed) in MAY_IMPORT {
        for target in &edges[*module] {
            assert!(
                allowed.contains(&target.as_str()),
                "app/src/{module} imports crate::{target}, which it may not"
            );
        }
    }
    // No cycle through any chain of folders, not only pairs.
    fn reaches(
        edges: &BTreeMap<String, BTreeSet<String>>,
        from: &str,
        to: &str,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        edges.get(from).is_some_and(|targets| {
            targets
                .iter()
                .any(|t| t == to || (seen.insert(t.clone()) && reaches(edges, t, to, seen)))
        })
    }
    for module in edges.keys() {
        assert!(
            !reaches(&edges, module, module, &mut BTreeSet::new()),
            "app/src/{module} depends on itself through other folders"
        );
    }
    assert!(
        edges["feeds"].contains("backoffice") && edges["backoffice"].contains("api"),
        "the scan sees imports"
    );
}

/// The time is read in one place (`server::clock`): a test moves it by
/// changing what is stored, never by racing the wall clock elsewhere.
#[test]
fn the_time_is_read_in_one_place() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let clock = root.join("app/src/server/clock.rs");
    let mut files = Vec::new();
    rust_files(&root.join("app/src"), &mut files);
    rust_files(&root.join("server/src"), &mut files);
    for file in files.iter().filter(|f| **f != clock) {
        let text = std::fs::read_to_string(file).unwrap();
        for reading in ["Utc::now(", "Local::now(", "SystemTime::now("] {
            assert!(
                !text.contains(reading),
                "{} reads the time ({reading}…): ask server::clock",
                file.display()
            );
        }
    }
    assert!(std::fs::read_to_string(clock)
        .unwrap()
        .contains("Utc::now("));
}

/// Every file of `app/src` as its module path (`cases::persons`,
/// `feeds::sync` for `feeds/sync/mod.rs`) with its text, comments left out.
fn modules() -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .map(|file| {
            let relative = file.strip_prefix(&src).unwrap().with_extension("");
            let mut parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
                parts.pop();
            }
            let text: String = std::fs::read_to_string(&file)
                .unwrap()
                .lines()
                .map(|line| line.split("//").next().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n");
            (parts.join("::"), text)
        })
        .collect()
}

/// The path after `at` in `text`: `a::b::c` of `crate::a::b::c::{…}`.
fn path_at(text: &str) -> String {
    let mut path = String::new();
    let mut rest = text;
    loop {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if word.is_empty() || word.starts_with(|c: char| c.is_ascii_uppercase()) {
            return path;
        }
        if !path.is_empty() {
            path.push_str("::");
        }
        path.push_str(&word);
        rest = &rest[word.len()..];
        match rest.strip_prefix("::") {
            Some(after) => rest = after,
            None => return path,
        }
    }
}

#[test]
fn no_two_files_import_each_other_through_any_chain() {
    let modules = modules();
    // The longest module a path names: `cases::persons::on_server::X` is `cases::persons`.
    let owner = |path: &str| {
        let parts: Vec<&str> = path.split("::").collect();
        (1..=parts.len())
            .rev()
            .map(|n| parts[..n].join("::"))
            .find(|candidate| modules.contains_key(candidate))
    };
    let mut edges: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in &modules {
        let parent = module.rsplit_once("::").map_or("", |(p, _)| p);
        let targets = edges.entry(module).or_default();
        let mut add = |target: Option<String>| {
            if let Some(target) = target.filter(|t| {
                t != module
                    && !module.starts_with(&format!("{t}::"))
                    && !t.starts_with(&format!("{module}::"))
            }) {
                targets.insert(target);
            }
        };
        for (index, _) in text.match_indices("crate::") {
            if !text[..index].ends_with('$') {
                add(owner(&path_at(&text[index + 7..])));
            }
        }
        // A sibling through `super::`, as files name them at their top level.
        for (index, _) in text.match_indices("super::") {
            let path = path_at(&text[index + 7..]);
            if !path.is_empty() && !parent.is_empty() {
                add(owner(&format!("{parent}::{path}")).filter(|t| t != parent));
            }
        }
    }
    fn reaches(
        edges: &BTreeMap<&str, BTreeSet<String>>,
        from: &str,
        to: &str,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        edges.get(from).is_some_and(|targets| {
            targets
                .iter()
                .any(|t| t == to || (seen.insert(t.clone()) && reaches(edges, t, to, seen)))
        })
    }
    for module in edges.keys() {
        assert!(
            !reaches(&edges, module, module, &mut BTreeSet::new()),
            "app/src: {module} depends on itself through other files ({:?})",
            edges[module]
        );
    }
    assert!(
        edges["campaigns::deliveries"].contains("campaigns::actions")
            && edges["backoffice::passwords"].contains("backoffice::password_links"),
        "the scan sees imports between files"
    );
}

/// No folder holds more than a fifth of the code (STYLE.md): one that grows
/// past it is an audience or a layer, not a feature, and is split.
#[test]
fn no_folder_holds_more_than_a_fifth_of_the_lines() {
    let lines = |text: &String| text.lines().count();
    let modules = modules();
    let total: usize = modules.values().map(lines).sum();
    let mut folders: BTreeMap<&str, usize> = BTreeMap::new();
    for (module, text) in &modules {
        let folder = module.split("::").next().unwrap_or_default();
        *folders.entry(folder).or_default() += lines(text);
    }
    for (folder, count) in folders {
        assert!(
            count * 5 <= total,
            "app/src/{folder} holds {count} of {total} lines, more than a fifth"
        );
    }
}
