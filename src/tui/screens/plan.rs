use crate::plan::Action;
use crate::tui::app::{App, Load};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let mut lines = vec![];
    match &app.plan {
        Load::Idle | Load::Loading => {
            lines.push(Line::from(Span::styled(
                format!("{} Reading the account to make the plan…", super::spinner(app)),
                theme.focus(),
            )));
        }
        Load::Failed(e) => lines.push(Line::from(Span::styled(format!("✗ {e}"), theme.error()))),
        Load::Ready(plan) => {
            let p = &plan.params;
            lines.push(Line::from(Span::raw(format!(
                "Account {}, Region {}. Nothing has been written yet.",
                p.account, p.region
            ))));
            lines.push(Line::raw(""));
            let width = (0..plan.steps.len()).map(|i| plan.label(i).name.chars().count()).max().unwrap_or(0) + 2;
            for (i, step) in plan.steps.iter().enumerate() {
                let l = plan.label(i);
                let style = match step.action {
                    Action::Create => theme.ok(),
                    Action::Update => theme.warn(),
                    Action::Conflict => theme.error(),
                    Action::Unchanged | Action::NotChecked => theme.dim(),
                };
                lines.push(Line::from(vec![
                    Span::styled(format!(" {:<12}", step.action.as_str()), style),
                    Span::raw(format!("{:<11}{:<width$}", l.kind, l.name)),
                    Span::styled(step.reason.clone(), theme.dim()),
                ]));
            }
            let writes = plan.writes();
            lines.push(Line::raw(""));
            lines.push(Line::from(Span::styled(format!("{writes} write step(s)."), theme.text())));
            if app.plan_has_conflicts() {
                let word =
                    if app.adopt { "will be adopted (updated and tagged)" } else { "block apply: a adopts them" };
                lines.push(Line::from(Span::styled(format!("Conflicts {word}."), theme.error())));
            }
            match app.apply_blocker() {
                Some(why) => lines.push(Line::from(Span::styled(format!("Apply disabled: {why}"), theme.warn()))),
                None => lines.push(Line::from(Span::styled("Press Enter to apply.", theme.focus()))),
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((app.plan_scroll.min(40), 0)), area);
}
