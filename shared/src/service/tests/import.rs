//! Import (`service::personal_data::import`) on fakes, as the crisis screen
//! sees it: the person's flagged lines are stored with their flag, a
//! model's imported replies are not screened, and one import publishes at
//! most one `CrisisFlagged`, none when it stores nothing new.

use super::{World, user};
use crate::domain::events::DomainEvent;
use crate::domain::page::PageRequest;
use crate::domain::personal_data::{ImportLine, parse_line};
use crate::domain::safety::CrisisCategory;
use crate::domain::safety::flag::FlagSource;
use crate::ports::ConversationStore;
use crate::service::personal_data::import;

fn line(role: &str, content: &str, minute: u32) -> ImportLine {
    parse_line(&format!(
        r#"{{"session_id":"legacy-1","role":"{role}","content":"{content}","created_at":"2025-01-01T10:{minute:02}:00Z","external_id":"x-{minute}"}}"#
    ))
    .unwrap()
}

#[tokio::test]
async fn flagged_lines_are_stored_with_their_flag_and_an_import_publishes_one_event() {
    let w = World::new();
    let u = user("ana");
    let lines = vec![
        line("user", "Work was long today.", 0),
        line("user", "I want to kill myself.", 1),
        line("assistant", "It sounds like you want to kill yourself.", 2),
        line("user", "I cut myself again last night.", 3),
    ];
    let report = import(&w.fakes.ports(), &w.retriever, &u, &lines, |_| {})
        .await
        .unwrap();
    assert_eq!(report.imported, 4);

    let flags = w
        .fakes
        .store
        .list_crisis_flags(&u, &PageRequest::first(10))
        .await
        .unwrap()
        .items;
    let categories: Vec<CrisisCategory> = flags.iter().map(|f| f.category).collect();
    assert_eq!(
        categories,
        vec![CrisisCategory::SelfHarm, CrisisCategory::Suicidal],
        "the person's two flagged lines, newest first; not the reply"
    );
    let published = w.fakes.events.published();
    assert_eq!(
        published.len(),
        1,
        "one event for the import: {published:?}"
    );
    assert!(matches!(
        &published[0],
        DomainEvent::CrisisFlagged {
            source: Some(FlagSource::Import),
            category: Some(CrisisCategory::SelfHarm),
            ..
        }
    ));

    // The same file again stores nothing new, and says nothing new.
    let again = import(&w.fakes.ports(), &w.retriever, &u, &lines, |_| {})
        .await
        .unwrap();
    assert_eq!((again.imported, again.skipped), (0, 4));
    assert_eq!(w.fakes.events.published().len(), 1);
}

#[tokio::test]
async fn an_import_with_nothing_flagged_publishes_nothing() {
    let w = World::new();
    let lines = vec![line("user", "Baked bread with Maya.", 0)];
    import(&w.fakes.ports(), &w.retriever, &user("ana"), &lines, |_| {})
        .await
        .unwrap();
    assert!(w.fakes.events.published().is_empty());
}
