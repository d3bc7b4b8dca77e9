//! No module of the HTTP adapter uses one that uses it back: the route model, the registry, the wiring, the
//! document and the handlers stay rooms of their own. Reads the sources (outside their test modules and doc
//! comments) for `crate::<module>` paths, and the crate root for the modules it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The top-level module a file belongs to: `routes/trades.rs` is in `routes`, `lib.rs` is the crate root.
fn module_of(relative: &Path) -> String {
    let first = relative.components().next().map(|c| c.as_os_str().to_string_lossy().into_owned()).unwrap_or_default();
    match first.strip_suffix(".rs") {
        Some("lib") => "crate".to_owned(),
        Some(name) => name.to_owned(),
        None => first,
    }
}

/// The code of `source` that builds the library: no test module, no comment.
fn code(source: &str) -> String {
    let before_tests = source.split("#[cfg(test)]").next().unwrap_or_default();
    before_tests.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// Every name that follows `prefix` in `code`, up to the next character that cannot be in a path segment.
fn names_after<'a>(code: &'a str, prefix: &'a str) -> impl Iterator<Item = String> + 'a {
    code.match_indices(prefix).map(move |(at, _)| {
        code[at + prefix.len()..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
    })
}

fn files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn no_module_uses_one_that_uses_it_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    files(&src, &mut paths);
    let modules: BTreeSet<String> = paths.iter().map(|p| module_of(p.strip_prefix(&src).expect("under src"))).collect();
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in &paths {
        let module = module_of(path.strip_prefix(&src).expect("under src"));
        let code = code(&std::fs::read_to_string(path).expect("readable"));
        let mut named: Vec<String> = names_after(&code, "crate::").collect();
        if let Some(braced) = code.split("use crate::{").nth(1) {
            let list = braced.split('}').next().unwrap_or_default();
            named.extend(list.split(',').map(|item| item.trim().split("::").next().unwrap_or_default().to_owned()));
        }
        if module == "crate" {
            // The root names its modules without the `crate::` prefix; `pub mod` lines only declare them.
            let code: String =
                code.lines().filter(|l| !l.trim_start().starts_with("pub mod")).collect::<Vec<_>>().join("\n");
            named.extend(modules.iter().filter(|m| code.contains(&format!("{m}::"))).cloned());
        }
        // An upper-case name is an item of the root (a re-export): a use of the root.
        let named = named.into_iter().map(|n| if n.starts_with(char::is_uppercase) { "crate".to_owned() } else { n });
        uses.entry(module.clone()).or_default().extend(named.filter(|n| modules.contains(n) && *n != module));
    }
    for (module, direct) in &uses {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(String, Vec<String>)> =
            direct.iter().map(|d| (d.clone(), vec![module.clone(), d.clone()])).collect();
        while let Some((next, path)) = stack.pop() {
            assert_ne!(&next, module, "a cycle of module uses: {}", path.join(" -> "));
            if seen.insert(next.clone()) {
                for further in uses.get(&next).into_iter().flatten() {
                    let mut longer = path.clone();
                    longer.push(further.clone());
                    stack.push((further.clone(), longer));
                }
            }
        }
    }
    assert!(uses.get("routes").is_some_and(|u| u.contains("route")), "the reader finds uses: {uses:?}");
}
