//! What Hearth knows about the person, as a section of a system prompt:
//! memories, session summaries and dated excerpts of earlier
//! conversations. The chat reply, the check-in and the journal prompt each
//! carry it after their own system prompt.

/// What Hearth knows, as it is put before the model: memories, session
/// summaries and dated excerpts of earlier conversations, each on its own
/// line. Empty sections are left out.
pub fn known_context(
    memories: &[(String, String)],
    summaries: &[String],
    excerpts: &[(String, String)],
) -> Option<String> {
    let mut out = String::new();
    if !memories.is_empty() {
        out.push_str("What you remember about this person (use it gently and naturally; never recite it as a list):\n");
        for (category, content) in memories {
            out.push_str(&format!("- [{category}] {content}\n"));
        }
    }
    if !summaries.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str("Summaries of your conversations with them, most relevant first:\n");
        for s in summaries {
            out.push_str(&format!("- {s}\n"));
        }
    }
    if !excerpts.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str("Things they told you in earlier conversations:\n");
        for (date, text) in excerpts {
            out.push_str(&format!("- ({date}) {text}\n"));
        }
    }
    (!out.is_empty()).then_some(out)
}
