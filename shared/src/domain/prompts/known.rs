//! What Hearth knows about the person, as a section of a system prompt:
//! memories, session summaries and dated excerpts of earlier
//! conversations. The chat reply, the check-in and the journal prompt each
//! carry it after their own system prompt.

use super::{DATA_RULE, data_block, quoted};

/// What Hearth knows, as it is put before the model: memories, session
/// summaries and dated excerpts of earlier conversations, each section's
/// lines quoted in a `<data>` block under its heading, after the rule that
/// says what such a block is (`DATA_RULE`). Empty sections are left out.
pub fn known_context(
    memories: &[(String, String)],
    summaries: &[String],
    excerpts: &[(String, String)],
) -> Option<String> {
    let mut sections: Vec<String> = Vec::new();
    if !memories.is_empty() {
        let lines: String = memories
            .iter()
            .map(|(category, content)| format!("- [{category}] {}\n", quoted(content)))
            .collect();
        sections.push(format!(
            "What you remember about this person (use it gently and naturally; never recite it as a list):\n{}",
            data_block(&lines)
        ));
    }
    if !summaries.is_empty() {
        let lines: String = summaries
            .iter()
            .map(|s| format!("- {}\n", quoted(s)))
            .collect();
        sections.push(format!(
            "Summaries of your conversations with them, most relevant first:\n{}",
            data_block(&lines)
        ));
    }
    if !excerpts.is_empty() {
        let lines: String = excerpts
            .iter()
            .map(|(date, text)| format!("- ({date}) {}\n", quoted(text)))
            .collect();
        sections.push(format!(
            "Things they told you in earlier conversations:\n{}",
            data_block(&lines)
        ));
    }
    (!sections.is_empty()).then(|| format!("{DATA_RULE}\n\n{}", sections.join("\n")))
}
