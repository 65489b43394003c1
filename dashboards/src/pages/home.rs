//! The data page: how many records of each source are stored, and on
//! which database, so the team sees at once what the results rest on.

use maud::{Markup, html};

use crate::layout::{Lang, Nav, signed_in};

/// One source and how many records of it are stored.
#[derive(Debug, Clone)]
pub struct SourceCount {
    pub label_zh: String,
    pub label_en: String,
    pub rows: i64,
}

#[derive(Debug, Clone)]
pub struct HomeView {
    pub lang: Lang,
    pub nav: Nav,
    /// `sqlite` or `postgres`.
    pub backend: String,
    pub sources: Vec<SourceCount>,
}

pub fn render(view: &HomeView) -> Markup {
    let lang = view.lang;
    let empty = view.sources.iter().all(|s| s.rows == 0);
    let title = lang.pick("数据概况", "Data overview");
    signed_in(
        lang,
        title,
        "/data",
        &view.nav,
        html! {
            h1 { (title) }
            @if empty {
                p.note { (lang.pick("尚未导入任何数据。请使用 zhengxin import 导入源数据文件。", "No data has been imported yet. Use zhengxin import to load source files.")) }
            } @else {
                table {
                    caption { (lang.pick("各数据源记录数", "Records per source")) }
                    thead { tr { th scope="col" { (lang.pick("数据源", "Source")) } th scope="col" { (lang.pick("记录数", "Records")) } } }
                    tbody {
                        @for s in &view.sources {
                            tr { th scope="row" { (lang.pick(&s.label_zh, &s.label_en)) } td.num { (s.rows) } }
                        }
                    }
                }
            }
            p.note { (lang.pick("数据库：", "Database: ")) (view.backend) }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(lang: Lang, rows: i64) -> HomeView {
        HomeView {
            lang,
            nav: Nav {
                username: "leader".into(),
                role_zh: "领导".into(),
                role_en: "leader".into(),
                csrf: "t".into(),
                menu: Vec::new(),
            },
            backend: "sqlite".into(),
            sources: vec![SourceCount {
                label_zh: "12345热线工单".into(),
                label_en: "Hotline tickets".into(),
                rows,
            }],
        }
    }

    #[test]
    fn chinese_by_default_with_counts_in_a_semantic_table() {
        let html = render(&view(Lang::Zh, 1234)).into_string();
        assert!(html.contains("<html lang=\"zh-CN\">"));
        assert!(html.contains("<th scope=\"row\">12345热线工单</th><td class=\"num\">1234</td>"));
        assert!(!html.contains("Hotline tickets"));
    }

    #[test]
    fn english_pages_have_no_chinese_labels_but_the_switch() {
        let html = render(&view(Lang::En, 5)).into_string();
        assert!(html.contains("<html lang=\"en\">") && html.contains("Hotline tickets"));
        // The switch to Chinese is there once, marked as Chinese, and
        // leads to the same page in Chinese …
        let switch = "lang=\"zh-CN\">中文</a>";
        assert_eq!(html.matches(switch).count(), 1, "{html}");
        let start = html.find(switch).unwrap();
        let open = html[..start].rfind("<a ").unwrap();
        assert!(html[open..start].contains("href=\"/data?lang=zh\""), "{}", &html[open..start]);
        // … and is the only Chinese on the page (CJK ideographs, CJK and
        // full-width punctuation).
        let rest = format!("{}{}", &html[..open], &html[start + switch.len()..]);
        let chinese: String = rest.chars().filter(|c| matches!(*c as u32, 0x3000..=0x303F | 0x4E00..=0x9FFF | 0xFF00..=0xFFEF)).collect();
        assert_eq!(chinese, "", "Chinese outside the switch");
    }

    #[test]
    fn an_empty_database_says_how_to_fill_it() {
        let html = render(&view(Lang::Zh, 0)).into_string();
        assert!(html.contains("zhengxin import") && !html.contains("<table>"));
    }
}
