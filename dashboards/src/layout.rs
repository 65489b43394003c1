//! The page shell shared by every page: language, title, header, main.

use maud::{DOCTYPE, Markup, PreEscaped, html};

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
div.demo{background:#fde68a;color:#3b2f00;padding:.4rem 1.5rem;font-weight:bold}\
header{background:#9b1c1c;color:#fff;padding:.8rem 1.5rem;display:flex;flex-wrap:wrap;gap:.4rem 1.5rem;justify-content:space-between;align-items:center}header>strong{white-space:nowrap}header nav{display:flex;flex-wrap:wrap;align-items:center;justify-content:flex-end;row-gap:.3rem}\
header a{color:#fff}main{max-width:96rem;margin:1.5rem auto;padding:0 1rem}main p,main ul,main form{max-width:60rem}\
table{border-collapse:collapse;background:#fff;min-width:24rem}th,td{border:1px solid #d0d5dd;padding:.4rem .8rem;text-align:left}\
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}th[scope=row]{white-space:nowrap}caption{text-align:left;font-weight:600;padding:.4rem 0}\
.note{color:#52606d}nav a,nav .user{margin-left:.8rem;white-space:nowrap}form.inline{display:inline;margin-left:.8rem}\
.grade-excellent{background:#e3f4e8}.grade-good{background:#e8f0fb}.grade-pass{background:#fdf6e3}.grade-fail{background:#fbe4e4}.grade-ungraded{background:#eef0f2}\
.board{display:grid;grid-template-columns:fit-content(60%) minmax(16rem,1fr);gap:1rem;align-items:start;margin-bottom:2rem}.board svg{max-width:100%;height:auto}\
.flag{color:#9b1c1c;font-weight:600}.badge{display:inline-block;padding:.1rem .5rem;border-radius:.3rem;background:#eef0f2}\
.error{color:#9b1c1c}.verdict{padding:.5rem .75rem;border-left:4px solid #52606d;background:#fff}.verdict.restricted{border-color:#9b1c1c;background:#fdecec}.verdict.clear{border-color:#1b6e3a;background:#eaf6ee}.verdict.unknown{border-color:#8a6d00;background:#fff8e1}.verdict .icon{font-weight:700}label{display:block;margin:.6rem 0 .2rem}input[type=text],input[type=password]{padding:.4rem;width:16rem}\
button{padding:.4rem .9rem}svg text{font-family:inherit}progress{width:24rem;max-width:100%;height:1.2rem}select,input[type=file]{padding:.3rem}\
ins{background:#e3f4e8;text-decoration:none}del{background:#fbe4e4}.scroll{overflow-x:auto;max-width:100%}table.records th,table.records td{white-space:nowrap}table.records td.long{white-space:normal;min-width:16rem}td.method{min-width:14rem;max-width:24rem;font-size:.9rem}table.records input[type=text]{width:10rem}table.records td.objection{white-space:normal;min-width:11rem}nav.lists{margin:1rem 0}nav.lists a,nav.lists strong{margin:0 1rem 0 0}\
form.choose{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:flex-end}form.choose label{margin:0 0 .2rem}\
main form.rules{max-width:none}table.records.rules input[type=text]{width:5.5rem;padding:.25rem}table.records.rules td,table.records.rules th{vertical-align:top;white-space:normal}td.changed,div.grade.changed{background:#fff3c4}td.invalid,div.grade.invalid{background:#fdecec}small.was{display:block;color:#52606d}\
table.rules .error{display:block;white-space:normal;max-width:10rem;font-size:.9rem}fieldset.grades{display:flex;flex-wrap:wrap;gap:.6rem 1.2rem;border:1px solid #d0d5dd;background:#fff;padding:.4rem 1rem .8rem}div.grade{padding:0 .3rem}div.grade input{width:6rem;padding:.3rem}div.grade .error{display:block;max-width:16rem;font-size:.9rem}\
details.other-ways{margin:1.5rem 0;max-width:60rem}details.other-ways summary{cursor:pointer;font-weight:600}p.actions{margin-top:1rem}\
.print-hint{font-size:.9rem}.legend{white-space:nowrap}.legend+.legend{margin-left:.8rem}.swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.25rem;vertical-align:-.05rem;border-radius:.15rem;print-color-adjust:exact;-webkit-print-color-adjust:exact}.skip{position:absolute;left:-9999px}.skip:focus{left:1rem;top:.5rem;z-index:1;background:#fff;color:#9b1c1c;padding:.3rem .6rem}\
table.indicators th,table.indicators td{padding:.4rem .6rem}table.indicators th[scope=row]{white-space:normal;min-width:8rem}table.indicators td.method{min-width:13rem;max-width:20rem}\
@media screen and (max-width:75rem){.board{grid-template-columns:minmax(0,1fr)}}\
@media print{header,nav,form,.print-hint,.screen-only{display:none}body{background:#fff;font-size:10.5pt}thead{display:table-header-group;break-after:avoid}tr,figure,svg{break-inside:avoid}\
h1,h2,caption{break-after:avoid}table{width:100%;min-width:0}.board{display:block}.board svg{max-width:100%;height:auto;margin-top:.5rem}\
main{max-width:none;margin:0}a{color:inherit;text-decoration:none}.scroll{overflow:visible}h2.page-start{break-before:page}\
table.indicators{font-size:9pt}table.indicators th[scope=row]{white-space:normal;width:19%}table.indicators td.method{width:38%;min-width:0;max-width:none;font-size:8.5pt}table.indicators th,table.indicators td{padding:.25rem .4rem}}\
";

/// The printed page's footer, in the page's language: "第 1 页 共 N 页"
/// or "Page 1 of N".
fn page_rule(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "@page{size:A4;margin:16mm 14mm 18mm;@bottom-center{content:\"第 \" counter(page) \" 页 共 \" counter(pages) \" 页\";font-size:9pt;color:#52606d}}",
        Lang::En => "@page{size:A4;margin:16mm 14mm 18mm;@bottom-center{content:\"Page \" counter(page) \" of \" counter(pages);font-size:9pt;color:#52606d}}",
    }
}

/// Who is signed in, for the header: name, role, the menu the server
/// built for that role and the CSRF token the sign-out form carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Nav {
    pub username: String,
    pub role_zh: String,
    pub role_en: String,
    pub csrf: String,
    /// The pages this user may open, in order. The server decides it from
    /// the role's capabilities; the template only draws it.
    pub menu: Vec<MenuLink>,
}

/// One entry of the menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MenuLink {
    pub href: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

/// Wraps `body` in the shell. `path` is the current page's path, for the
/// language switch.
pub fn page(lang: Lang, title: &str, path: &str, body: Markup) -> Markup {
    shell(lang, title, path, None, None, body)
}

/// The shell of a signed-in page: navigation and the sign-out button.
pub fn signed_in(lang: Lang, title: &str, path: &str, nav: &Nav, body: Markup) -> Markup {
    shell(lang, title, path, Some(nav), None, body)
}

/// A signed-in page that reloads itself (or goes on to another) after
/// `refresh.0` seconds: progress without scripts.
pub fn signed_in_refreshing(lang: Lang, title: &str, path: &str, nav: &Nav, refresh: Option<(u32, String)>, body: Markup) -> Markup {
    shell(lang, title, path, Some(nav), refresh, body)
}

/// The half of a server message written "中文 / English" that suits
/// `lang` (the whole text when it has no such halves).
pub fn bilingual(lang: Lang, text: &str) -> &str {
    text.split_once(" / ").map_or(text, |(zh, en)| lang.pick(zh, en))
}

/// Percent-encoding of everything but RFC 3986's unreserved characters:
/// for a query value or one path segment.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// `path` with the language parameter (and `query`, already encoded).
pub fn link(lang: Lang, path: &str, query: &str) -> String {
    let mut out = path.to_string();
    let mut sep = if path.contains('?') { '&' } else { '?' };
    if !query.is_empty() {
        out.push(sep);
        out.push_str(query);
        sep = '&';
    }
    if lang == Lang::En {
        out.push(sep);
        out.push_str("lang=en");
    }
    out
}

/// The banner every page of a demo install carries, in screen and print:
/// its data are generated and its accounts' password is public.
pub fn demo_banner(lang: Lang) -> Markup {
    html! {
        div.demo role="note" {
            (lang.pick("演示数据：本系统载入的是生成的演示数据，不是真实考核结果；演示账号的密码是公开的。",
                "演示数据 Demo data: the records are generated, not a real assessment, and the demo accounts' password is public."))
        }
    }
}

fn shell(lang: Lang, title: &str, path: &str, nav: Option<&Nav>, refresh: Option<(u32, String)>, body: Markup) -> Markup {
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
                @if let Some((seconds, target)) = &refresh { meta http-equiv="refresh" content={ (seconds) "; url=" (target) }; }
                title { (title) " · " (lang.pick("政信", "Zhengxin")) }
                // Our own constant CSS, so not escaped: escaping would turn
                // its quotes into `&quot;` and the browser would drop rules.
                style { (PreEscaped(STYLE)) (PreEscaped(page_rule(lang))) }
            }
            body {
                a.skip href="#main" { (lang.pick("跳到正文", "Skip to the content")) }
                header {
                    strong { a href=(link(lang, "/", "")) { (lang.pick("政信 · 政务诚信考核", "Zhengxin · Government integrity assessment")) } }
                    nav aria-label=(lang.pick("主导航", "Main")) {
                        @if let Some(nav) = nav {
                            @for (i, item) in nav.menu.iter().enumerate() {
                                @if i > 0 { " " }
                                a href=(link(lang, item.href, "")) { (lang.pick(item.zh, item.en)) }
                            }
                            " "
                            span.user { a href=(link(lang, "/account", "")) title=(lang.pick("我的账号", "My account")) { (nav.username) } " · " (lang.pick(&nav.role_zh, &nav.role_en)) }
                            form.inline method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(nav.csrf);
                                button type="submit" { (lang.pick("退出", "Sign out")) }
                            }
                        }
                        " "
                        a href={ (path) (if path.contains('?') { "&" } else { "?" }) "lang=" (other) } lang=(if other == "en" { "en" } else { "zh-CN" }) { (other_label) }
                    }
                }
                main #main tabindex="-1" {
                    (body)
                    @if nav.is_some() {
                        p.note.print-hint { (lang.pick("打印：按 Ctrl+P（A4，表头每页重复，页脚有页码）。", "To print, press Ctrl+P (A4, table headers repeat on every page, page numbers in the footer).")) }
                    }
                }
            }
        }
    }
}
