//! The progress of long work (checking or committing an upload, rescoring
//! a year). The page refreshes itself every second while the work runs,
//! without scripts, and moves on to the result when it is done.

use maud::{Markup, html};

use crate::layout::{Lang, Nav, link, signed_in_refreshing};

#[derive(Debug, Clone, PartialEq)]
pub enum JobState {
    Running,
    Done,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct JobView {
    pub lang: Lang,
    pub nav: Nav,
    pub id: u64,
    pub title_zh: String,
    pub title_en: String,
    pub started_by: String,
    pub started_at: String,
    pub state: JobState,
    pub step: u32,
    pub steps: u32,
    pub step_zh: String,
    pub step_en: String,
    pub done: u64,
    pub of: Option<u64>,
    pub next: Option<String>,
}

pub fn render(v: &JobView) -> Markup {
    let lang = v.lang;
    let title = lang.pick(&v.title_zh, &v.title_en).to_string();
    let path = format!("/jobs/{}", v.id);
    let next = v.next.as_deref().map(|n| link(lang, n, ""));
    let refresh = match (&v.state, &next) {
        (JobState::Running, _) => Some((1, link(lang, &path, ""))),
        (JobState::Done, Some(next)) => Some((0, next.clone())),
        _ => None,
    };
    let body = html! {
        h1 { (title) }
        p.note { (lang.pick("发起人", "Started by")) " " (v.started_by) " · " (v.started_at) }
        @match &v.state {
            JobState::Running => {
                p role="status" aria-live="polite" {
                    (lang.pick("第 ", "Step ")) (v.step) (lang.pick(" 步，共 ", " of ")) (v.steps) (lang.pick(" 步：", ": "))
                    (lang.pick(&v.step_zh, &v.step_en))
                    @if v.done > 0 { " · " (v.done) @if let Some(of) = v.of { " / " (of) } }
                }
                @match v.of {
                    Some(of) if of > 0 => progress max=(of) value=(v.done.min(of)) aria-label=(lang.pick("进度", "Progress")) {},
                    _ => progress aria-label=(lang.pick("进度", "Progress")) {},
                }
                p.note { (lang.pick("本页每秒自动刷新；离开本页不会中断处理。", "This page refreshes every second; leaving it does not stop the work.")) }
            }
            JobState::Done => {
                p role="status" { strong { (lang.pick("已完成。", "Done.")) } }
                @if let Some(next) = &next { p { a href=(next) { (lang.pick("查看结果", "See the result")) } } }
            }
            JobState::Failed(message) => {
                p.error role="alert" { strong { (lang.pick("未能完成：", "It did not finish: ")) } (crate::layout::bilingual(lang, message)) }
                p.note { (lang.pick("没有写入任何部分结果。", "Nothing partial was written.")) }
                @if let Some(next) = &next { p { a href=(next) { (lang.pick("返回", "Back")) } } }
            }
        }
    };
    signed_in_refreshing(lang, &title, &path, &v.nav, refresh, body)
}
