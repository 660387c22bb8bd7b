//! The widget's words, per language. Pure data: the view reads them, nothing else does.

use crate::config::Language;

/// Every string the widget shows or announces. Accessible names live here too, so a
/// translation never leaves a control unnamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Strings {
    pub open_chat: &'static str,
    pub close_chat: &'static str,
    pub title: &'static str,
    pub greeting: &'static str,
    pub message: &'static str,
    pub send: &'static str,
    pub new_conversation: &'static str,
    pub earlier_conversations: &'static str,
    pub back: &'static str,
    pub no_conversations: &'static str,
    pub you: &'static str,
    pub support: &'static str,
    pub pending: &'static str,
    pub failed_retry: &'static str,
    pub unavailable: &'static str,
    pub new_reply: &'static str,
    /// After the count on the launcher's name: "Open chat (2 unread)".
    pub unread: &'static str,
    /// The composer cut a message at the server's limit (`text::MAX_MESSAGE_CHARS`).
    pub too_long: &'static str,
}

pub fn strings(language: Language) -> &'static Strings {
    match language {
        Language::English => &ENGLISH,
        Language::French => &FRENCH,
        Language::Arabic => &ARABIC,
    }
}

static ENGLISH: Strings = Strings {
    open_chat: "Open chat",
    close_chat: "Close chat",
    title: "Support",
    greeting: "Hi! How can we help?",
    message: "Message",
    send: "Send",
    new_conversation: "New conversation",
    earlier_conversations: "Your conversations",
    back: "Back to conversations",
    no_conversations: "No conversations yet.",
    you: "You",
    support: "Support",
    pending: "Sending…",
    failed_retry: "Not sent. Retry",
    unavailable: "Chat is unavailable right now. Please try again later.",
    new_reply: "New reply",
    unread: "unread",
    too_long: "A message can be at most 4000 characters: the rest was cut off.",
};

static FRENCH: Strings = Strings {
    open_chat: "Ouvrir le chat",
    close_chat: "Fermer le chat",
    title: "Assistance",
    greeting: "Bonjour ! Comment pouvons-nous vous aider ?",
    message: "Message",
    send: "Envoyer",
    new_conversation: "Nouvelle conversation",
    earlier_conversations: "Vos conversations",
    back: "Retour aux conversations",
    no_conversations: "Aucune conversation pour l’instant.",
    you: "Vous",
    support: "Assistance",
    pending: "Envoi…",
    failed_retry: "Non envoyé. Réessayer",
    unavailable: "Le chat est indisponible pour le moment. Réessayez plus tard.",
    new_reply: "Nouvelle réponse",
    unread: "non lus",
    too_long: "Un message compte au plus 4000 caractères : la suite a été coupée.",
};

static ARABIC: Strings = Strings {
    open_chat: "افتح الدردشة",
    close_chat: "أغلق الدردشة",
    title: "الدعم",
    greeting: "مرحبًا! كيف يمكننا مساعدتك؟",
    message: "رسالة",
    send: "إرسال",
    new_conversation: "محادثة جديدة",
    earlier_conversations: "محادثاتك",
    back: "العودة إلى المحادثات",
    no_conversations: "لا توجد محادثات بعد.",
    you: "أنت",
    support: "الدعم",
    pending: "جارٍ الإرسال…",
    failed_retry: "لم تُرسل. أعد المحاولة",
    unavailable: "الدردشة غير متاحة الآن. حاول مرة أخرى لاحقًا.",
    new_reply: "رد جديد",
    unread: "غير مقروءة",
    too_long: "يمكن أن تحتوي الرسالة على 4000 حرف على الأكثر: حُذف الباقي.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_names_every_control() {
        for (_, language) in Language::ALL {
            let s = strings(*language);
            for text in [
                s.open_chat,
                s.close_chat,
                s.message,
                s.send,
                s.new_conversation,
                s.back,
            ] {
                assert!(!text.trim().is_empty(), "{language:?}");
            }
            let limit = crate::text::MAX_MESSAGE_CHARS.to_string();
            assert!(s.too_long.contains(&limit), "{language:?} names the limit");
        }
        assert_eq!(strings(Language::English).open_chat, "Open chat");
    }
}
