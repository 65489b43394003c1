//! The page shell shared by every page: language, title, header, main.

use maud::{DOCTYPE, Markup, html};

/// The page language: Chinese by default, English on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// From a `lang` query value; anything but `en` is Chinese.
    pub fn from_param(value: Option<&str>) -> Lang {
        match value {
            Some(v) if v.eq_ignore_ascii_case("en") => Lang::En,
            _ => Lang::Zh,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Picks the text for this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

const STYLE: &str = "body{font-family:system-ui,'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:0;color:#1f2933;background:#f7f8fa}\
header{background:#9b1c1c;color:#fff;padding:.8rem 1.5rem;display:flex;justify-content:space-between;align-items:center}\
header a{color:#fff}main{max-width:60rem;margin:1.5rem auto;padding:0 1rem}\
table{border-collapse:collapse;background:#fff;min-width:24rem}th,td{border:1px solid #d0d5dd;padding:.4rem .8rem;text-align:left}\
td.num{text-align:right;font-variant-numeric:tabular-nums}caption{text-align:left;font-weight:600;padding:.4rem 0}\
.note{color:#52606d}@media print{header{background:none;color:#000}}";

/// Wraps `body` in the shell. `path` is the current page's path, for the
/// language switch.
pub fn page(lang: Lang, title: &str, path: &str, body: Markup) -> Markup {
    let (other, other_label) = match lang {
        Lang::Zh => ("en", "English"),
        Lang::En => ("zh", "中文"),
    };
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (lang.pick("政信", "Zhengxin")) }
                style { (STYLE) }
            }
            body {
                header {
                    strong { (lang.pick("政信 · 政务诚信考核", "Zhengxin · Government integrity assessment")) }
                    a href={ (path) "?lang=" (other) } lang=(if other == "en" { "en" } else { "zh-CN" }) { (other_label) }
                }
                main { (body) }
            }
        }
    }
}
