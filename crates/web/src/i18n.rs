//! The web console's wording: one catalog per language, `locales/zh-CN.toml` (first) and
//! `locales/en.toml`, holding the same flat keys named after where the words are used
//! (`board.filter`, `admin.calendar.import`; `common.*` for words on several pages).
//! rust-i18n compiles both into the binary; a lookup is two hash-map reads and hands back
//! the catalog's own `&'static str`, so pages pay no allocation for their labels.
//! Placeholders are written `%{name}` and filled by [`format`].
//!
//! The catalog test below fails, naming the key, when a key is in one catalog and not the
//! other, when the two disagree on a key's placeholders, or when a template or page uses a
//! key the catalogs lack.

use std::borrow::Cow;
use std::fmt::Display;

use aftersales_domain::Lang;

// rust-i18n reads the catalogs while compiling without telling Cargo; naming them here makes
// an edited catalog rebuild the crate.
const _: &str = include_str!("../locales/zh-CN.toml");
const _: &str = include_str!("../locales/en.toml");

/// The words of `key` in `lang`. A key the catalogs lack comes back as itself (the catalog
/// test keeps that from happening to any key the pages use).
pub fn text(lang: Lang, key: &'static str) -> &'static str {
    match rust_i18n::t!(key, locale = lang.code()) {
        Cow::Borrowed(words) => words,
        Cow::Owned(_) => key,
    }
}

/// The words of `key` in `lang` with each `%{name}` replaced by its value.
pub fn format(lang: Lang, key: &'static str, args: &[(&str, &dyn Display)]) -> String {
    let names: Vec<&str> = args.iter().map(|(name, _)| *name).collect();
    let values: Vec<String> = args.iter().map(|(_, value)| value.to_string()).collect();
    rust_i18n::replace_patterns(text(lang, key), &names, &values)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    use super::*;

    const DIR: &str = env!("CARGO_MANIFEST_DIR");

    fn catalog(lang: &str) -> BTreeMap<String, String> {
        let path = Path::new(DIR).join("locales").join(format!("{lang}.toml"));
        let text = std::fs::read_to_string(&path).expect("catalog readable");
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn placeholders(words: &str) -> BTreeSet<&str> {
        words.split("%{").skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect()
    }

    /// Every file the wording is used from: the templates and the crate's Rust sources.
    fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("source directory readable") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "html" || e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source readable");
                out.push((path.display().to_string(), text));
            }
        }
    }

    /// The first string literal after each occurrence of `call` (a lookup by key, say).
    fn literal_args<'a>(text: &'a str, call: &str) -> Vec<&'a str> {
        text.match_indices(call).filter_map(|(at, _)| text[at + call.len()..].split_once('"').map(|(s, _)| s)).collect()
    }

    #[test]
    fn both_catalogs_hold_the_same_keys_and_placeholders() {
        let (zh, en) = (catalog("zh-CN"), catalog("en"));
        let only_zh: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        let only_en: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
        assert!(only_zh.is_empty(), "keys missing from en.toml: {only_zh:?}");
        assert!(only_en.is_empty(), "keys missing from zh-CN.toml: {only_en:?}");
        let differ: Vec<_> =
            zh.iter().filter(|(k, words)| placeholders(words) != placeholders(&en[*k])).map(|(k, _)| k).collect();
        assert!(differ.is_empty(), "the two languages name different placeholders in: {differ:?}");
    }

    #[test]
    fn the_compiled_catalogs_are_the_files() {
        for (lang, code) in [(Lang::Zh, "zh-CN"), (Lang::En, "en")] {
            for (key, words) in catalog(code) {
                let key: &'static str = Box::leak(key.into_boxed_str());
                assert_eq!(text(lang, key), words, "{code} {key}");
            }
        }
    }

    #[test]
    fn every_key_the_pages_use_is_in_the_catalogs() {
        let zh = catalog("zh-CN");
        let mut files = Vec::new();
        sources(&Path::new(DIR).join("templates"), &mut files);
        sources(&Path::new(DIR).join("src"), &mut files);
        let mut missing = BTreeSet::new();
        let mut inline = Vec::new();
        let mut used = 0;
        for (path, text) in &files {
            for key in literal_args(text, ".t(\"").into_iter().chain(literal_args(text, ".tf(\"")) {
                used += 1;
                if !zh.contains_key(key) {
                    missing.insert(format!("{key} ({path})"));
                }
            }
            // Wording picked at run time from a table may use `pick`; literal words go to the catalogs.
            inline.extend(literal_args(text, ".pick(\"").into_iter().map(|words| format!("{words} ({path})")));
        }
        assert!(used > 100, "the scan found the pages' keys ({used})");
        assert!(missing.is_empty(), "keys used but absent from the catalogs: {missing:?}");
        assert!(inline.is_empty(), "literal words belong in the catalogs, not in pick: {inline:?}");
    }

    #[test]
    fn placeholders_are_filled_in_either_language() {
        assert_eq!(format(Lang::Zh, "view.time_left", &[("time", &"1小时5分")]), "剩余 1小时5分");
        assert_eq!(format(Lang::En, "view.time_left", &[("time", &"1h 5m")]), "left 1h 5m");
        assert_eq!(text(Lang::En, "no.such.key"), "no.such.key");
    }
}
