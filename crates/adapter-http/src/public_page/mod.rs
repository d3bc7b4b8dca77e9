//! `GET /u/{user_name}`: a public profile as a page a person reads. Server-rendered HTML (maud), no script, no
//! external resource, readable on a phone: the display name and bio, then each public strategy with its figures
//! for the live record and for every trade side by side, with their trade counts, and its equity curves with the
//! largest drawdown shaded. Not an API route: it is left out of the OpenAPI document.

mod curve_svg;
mod figures;

use maud::{DOCTYPE, Markup, PreEscaped, html};
use quantarya_ports::{PublicProfile, PublicStrategy};

/// The page's style: one column, system fonts, numbers aligned, the curve as wide as the screen.
const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1d2433;background:#f6f7f9;line-height:1.45}
main{max-width:46rem;margin:0 auto;padding:1rem}
header h1{margin:.5rem 0 0;font-size:1.6rem}
.handle{color:#5b6478;margin:0}
.bio{margin:.75rem 0 0}
section.strategy{background:#fff;border:1px solid #dde1e8;border-radius:.5rem;padding:1rem;margin:1rem 0}
section.strategy h2{margin:0;font-size:1.25rem}
ul.tags{list-style:none;padding:0;margin:.5rem 0;display:flex;flex-wrap:wrap;gap:.35rem}
ul.tags li{background:#eef1f6;border-radius:1rem;padding:.1rem .6rem;font-size:.85rem}
table{width:100%;border-collapse:collapse;margin:.75rem 0;font-variant-numeric:tabular-nums}
th,td{padding:.35rem .4rem;border-bottom:1px solid #edf0f4;text-align:right}
th:first-child,td:first-child{text-align:left}
thead th{font-size:.85rem;color:#5b6478}
figure{margin:.5rem 0 0}
svg.curve{width:100%;height:auto;display:block;background:#fbfcfd;border:1px solid #edf0f4;border-radius:.35rem}
svg .drawdown{fill:#d64545;fill-opacity:.14}
svg .baseline{stroke:#b8bfcc;stroke-dasharray:4 4;stroke-width:1}
svg .all{fill:none;stroke:#2457c5;stroke-width:2}
svg .live{fill:none;stroke:#178a54;stroke-width:2;stroke-dasharray:6 4}
figcaption,.note{font-size:.85rem;color:#5b6478}
.key-all{color:#2457c5;font-weight:600}
.key-live{color:#178a54;font-weight:600}
.key-drawdown{color:#b43a3a;font-weight:600}
footer{font-size:.8rem;color:#5b6478;margin:2rem 0 1rem}
";

/// The `Content-Security-Policy` of the pages: their one style sheet, by its hash, and nothing else (no script, no
/// image, no font, no frame, no form, no base URL).
pub fn content_security_policy() -> &'static str {
    static POLICY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        use base64::Engine;
        use sha2::Digest;
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(STYLE.as_bytes()));
        format!(
            "default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
    });
    &POLICY
}

/// The shell every page shares.
fn page(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body { main { (body) } }
        }
    }
    .into_string()
}

/// The page of `profile`.
pub fn render(profile: &PublicProfile) -> String {
    let user = &profile.user;
    let name = user.display_name.as_ref().map_or_else(|| user.user_name.to_string(), ToString::to_string);
    let body = html! {
        header {
            h1 { (name) }
            p.handle { "@" (user.user_name.to_string()) " · track record on Quantarya" }
            @if let Some(bio) = &user.bio {
                p.bio { (bio.to_string()) }
            }
        }
        @if profile.strategies.is_empty() {
            p { "No public strategy yet." }
        }
        @for strategy in &profile.strategies {
            (strategy_section(strategy))
        }
        footer {
            "Live: entries sent through an API key within 5 minutes of their signal, never back-filled, imported or \
             corrected. All: every closed trade with an entry and an exit price. Returns are per trade, compounded."
        }
    };
    page(&format!("{name} · Quantarya track record"), body)
}

/// One public strategy: its title, description and tags, the figures table and the curves.
fn strategy_section(public: &PublicStrategy) -> Markup {
    let strategy = &public.strategy;
    let (all, live) = (&public.stats.all, &public.stats.live);
    let title = strategy.title.to_string();
    let currency = strategy.currency.as_ref().map(ToString::to_string);
    html! {
        section.strategy data-strategy=(strategy.id.to_string()) {
            h2 { (title) }
            @if let Some(description) = &strategy.description {
                p { (description.to_string()) }
            }
            @if !strategy.tags.as_slice().is_empty() {
                ul.tags { @for tag in strategy.tags.as_slice() { li { (tag) } } }
            }
            table {
                thead {
                    tr {
                        th scope="col" { "Figure" }
                        th scope="col" { "Live (" (live.overall.count) " trades)" }
                        th scope="col" { "All (" (all.overall.count) " trades)" }
                    }
                }
                tbody {
                    tr {
                        th scope="row" { "Cancelled trades (in no figure)" }
                        td { (live.cancelled) }
                        td { (all.cancelled) }
                    }
                    @for row in figures::ROWS {
                        tr {
                            th scope="row" { (row.label) }
                            td { ((row.show)(&live.overall, currency.as_deref())) }
                            td { ((row.show)(&all.overall, currency.as_deref())) }
                        }
                    }
                }
            }
            @match curve_svg::equity_curves(all, live, &title) {
                Some(svg) => figure {
                    (svg)
                    figcaption {
                        "In the order trades closed: "
                        span.key-all { "solid, all trades" } " · "
                        span.key-live { "dashed, live trades" } " · "
                        span.key-drawdown { "shaded, the largest drawdown (" (figures::percent(-all.overall.max_drawdown)) ")" }
                    }
                },
                None => p.note { "No closed trade yet." },
            }
        }
    }
}

/// The page of a profile that is missing or not public: the same answer for both, so a private profile cannot be
/// told from a missing one.
pub fn not_found() -> String {
    page(
        "Profile not found · Quantarya",
        html! {
            h1 { "Profile not found" }
            p { "There is no public track record at this address." }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_exactly_the_style_sheet_the_page_carries() {
        use base64::Engine;
        use sha2::Digest;
        let page = not_found();
        let (start, end) =
            (page.find("<style>").expect("a style") + "<style>".len(), page.find("</style>").expect("its end"));
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&page.as_bytes()[start..end]));
        let policy = content_security_policy();
        assert!(policy.contains(&format!("style-src 'sha256-{hash}'")), "{policy}");
        assert!(policy.starts_with("default-src 'none'") && !policy.contains("unsafe"), "{policy}");
        assert!(!page.contains("<script"));
    }
}
