//! The widget's words, per language. Pure data: the view reads them, nothing else does.

use crate::config::Language;
use crate::protocol::{Author, MessageKind};

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
    /// A chat's status on its list row.
    pub resolved: &'static str,
    /// The divider of a chat an agent resolved: this, then the agent's name.
    pub resolved_by: &'static str,
    pub you_ended: &'static str,
    pub reopened: &'static str,
    /// "You rated" + score + `of_five`.
    pub you_rated: &'static str,
    /// After a score: " of 5" (a rating button's name is the score and this).
    pub of_five: &'static str,
    /// After an agent's name.
    pub is_typing: &'static str,
    pub seen: &'static str,
    pub end_chat: &'static str,
    pub end_confirm: &'static str,
    pub end: &'static str,
    pub cancel: &'static str,
    pub rate_question: &'static str,
    pub comment: &'static str,
    pub send_rating: &'static str,
    pub thanks: &'static str,
    /// The composer's attach button.
    pub attach: &'static str,
    /// A chip's remove button: this, then the file's name.
    pub remove: &'static str,
    pub uploading: &'static str,
    /// A file refused before upload: this, then the limit ("10 MB").
    pub file_too_large: &'static str,
    pub file_type_refused: &'static str,
    /// This, then the org's most files per message.
    pub too_many_files: &'static str,
    pub file_empty: &'static str,
    /// A chip whose upload waits for the connection to come back.
    pub waiting_online: &'static str,
    /// A file chosen offline over what this device keeps for a reload (`held::HELD_MAX_BYTES`).
    pub retry_online: &'static str,
    /// Inside office hours.
    pub replies_soon: &'static str,
    /// Outside office hours: `{time}` is when they open next.
    pub back_at: &'static str,
    /// Outside office hours with no opening in sight.
    pub away: &'static str,
    pub leave_email_prompt: &'static str,
    pub your_email: &'static str,
    pub save_email: &'static str,
    /// `{email}` is the address left.
    pub email_saved: &'static str,
    pub email_invalid: &'static str,
    /// The group of suggested first questions.
    pub suggested_questions: &'static str,
}

impl Strings {
    /// The divider line of a chat's event ("Resolved by Ada", "You rated 4 of 5"); `None` for a text.
    pub fn event(
        &self,
        kind: MessageKind,
        author: &Author,
        name: Option<&str>,
        score: Option<u8>,
    ) -> Option<String> {
        let mut line = String::new();
        match (kind, author) {
            (MessageKind::Text | MessageKind::Greeting, _) => return None,
            (MessageKind::Resolved, Author::Agent) => {
                line.push_str(self.resolved_by);
                line.push_str(name.unwrap_or(self.support));
            }
            (MessageKind::Resolved, Author::Visitor) => line.push_str(self.you_ended),
            (MessageKind::Reopened, _) => line.push_str(self.reopened),
            (MessageKind::Rated, _) => {
                line.push_str(self.you_rated);
                line.push(char::from(b'0' + score.unwrap_or(0)));
                line.push_str(self.of_five);
            }
        }
        Some(line)
    }
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
    resolved: "Resolved",
    resolved_by: "Resolved by ",
    you_ended: "You ended the chat",
    reopened: "Reopened",
    you_rated: "You rated ",
    of_five: " of 5",
    is_typing: " is typing…",
    seen: "Seen",
    end_chat: "End chat",
    end_confirm: "End this chat?",
    end: "End",
    cancel: "Cancel",
    rate_question: "How was this conversation?",
    comment: "Comment (optional)",
    send_rating: "Send rating",
    thanks: "Thank you for your feedback!",
    attach: "Attach files",
    remove: "Remove ",
    uploading: "Uploading…",
    file_too_large: "Larger than the limit of ",
    file_type_refused: "This type of file cannot be sent",
    too_many_files: "At most files in a message: ",
    file_empty: "The file is empty",
    waiting_online: "Waiting for a connection",
    retry_online: "Too large to keep offline: retry when online",
    replies_soon: "Usually replies in a few minutes",
    back_at: "We're away. Back {time}",
    away: "We're away right now",
    leave_email_prompt: "Leave your email and we'll reply there",
    your_email: "Your email",
    save_email: "Save",
    email_saved: "We'll reply to {email}",
    email_invalid: "Please enter a valid email address",
    suggested_questions: "Suggested questions",
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
    resolved: "Résolue",
    resolved_by: "Résolue par ",
    you_ended: "Vous avez terminé le chat",
    reopened: "Rouverte",
    you_rated: "Vous avez noté ",
    of_five: " sur 5",
    is_typing: " écrit…",
    seen: "Vu",
    end_chat: "Terminer le chat",
    end_confirm: "Terminer ce chat ?",
    end: "Terminer",
    cancel: "Annuler",
    rate_question: "Comment s’est passée cette conversation ?",
    comment: "Commentaire (facultatif)",
    send_rating: "Envoyer la note",
    thanks: "Merci pour votre avis !",
    attach: "Joindre des fichiers",
    remove: "Retirer ",
    uploading: "Envoi…",
    file_too_large: "Plus grand que la limite de ",
    file_type_refused: "Ce type de fichier ne peut pas être envoyé",
    too_many_files: "Fichiers par message, au plus : ",
    file_empty: "Le fichier est vide",
    waiting_online: "En attente de connexion",
    retry_online: "Trop volumineux pour être gardé hors ligne : réessayez une fois en ligne",
    replies_soon: "Répond généralement en quelques minutes",
    back_at: "Nous sommes absents. De retour {time}",
    away: "Nous sommes absents pour le moment",
    leave_email_prompt: "Laissez votre e-mail et nous vous répondrons",
    your_email: "Votre e-mail",
    save_email: "Enregistrer",
    email_saved: "Nous répondrons à {email}",
    email_invalid: "Veuillez saisir une adresse e-mail valide",
    suggested_questions: "Questions suggérées",
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
    resolved: "تم الحل",
    resolved_by: "أنهاها ",
    you_ended: "أنهيت الدردشة",
    reopened: "أُعيد فتحها",
    you_rated: "قيّمتها ",
    of_five: " من 5",
    is_typing: " يكتب…",
    seen: "شوهدت",
    end_chat: "إنهاء الدردشة",
    end_confirm: "إنهاء هذه الدردشة؟",
    end: "إنهاء",
    cancel: "إلغاء",
    rate_question: "كيف كانت هذه المحادثة؟",
    comment: "تعليق (اختياري)",
    send_rating: "إرسال التقييم",
    thanks: "شكرًا على رأيك!",
    attach: "إرفاق ملفات",
    remove: "إزالة ",
    uploading: "جارٍ الرفع…",
    file_too_large: "أكبر من الحد المسموح: ",
    file_type_refused: "لا يمكن إرسال هذا النوع من الملفات",
    too_many_files: "الحد الأقصى للملفات في الرسالة: ",
    file_empty: "الملف فارغ",
    waiting_online: "في انتظار الاتصال",
    retry_online: "أكبر من أن يُحفظ دون اتصال: أعد المحاولة عند الاتصال",
    replies_soon: "يرد عادةً خلال بضع دقائق",
    back_at: "نحن غير متاحين الآن. نعود {time}",
    away: "نحن غير متاحين الآن",
    leave_email_prompt: "اترك بريدك الإلكتروني وسنرد عليك هناك",
    your_email: "بريدك الإلكتروني",
    save_email: "حفظ",
    email_saved: "سنرد على {email}",
    email_invalid: "يرجى إدخال عنوان بريد إلكتروني صالح",
    suggested_questions: "أسئلة مقترحة",
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
                s.end_chat,
                s.end,
                s.cancel,
                s.comment,
                s.send_rating,
                s.rate_question,
                s.attach,
                s.remove,
                s.uploading,
                s.file_too_large,
                s.file_type_refused,
                s.too_many_files,
                s.file_empty,
                s.waiting_online,
                s.retry_online,
            ] {
                assert!(!text.trim().is_empty(), "{language:?}");
            }
            let limit = crate::text::MAX_MESSAGE_CHARS.to_string();
            assert!(s.too_long.contains(&limit), "{language:?} names the limit");
        }
        assert_eq!(strings(Language::English).open_chat, "Open chat");
    }

    #[test]
    fn events_read_as_dividers_in_every_language() {
        let s = strings(Language::English);
        let line = |kind, author, name, score| s.event(kind, &author, name, score);
        assert_eq!(
            line(MessageKind::Resolved, Author::Agent, Some("Ada"), None).as_deref(),
            Some("Resolved by Ada")
        );
        assert_eq!(
            line(MessageKind::Resolved, Author::Agent, None, None).as_deref(),
            Some("Resolved by Support")
        );
        assert_eq!(
            line(MessageKind::Resolved, Author::Visitor, None, None).as_deref(),
            Some("You ended the chat")
        );
        assert_eq!(
            line(MessageKind::Reopened, Author::Visitor, None, None).as_deref(),
            Some("Reopened")
        );
        assert_eq!(
            line(MessageKind::Rated, Author::Visitor, None, Some(4)).as_deref(),
            Some("You rated 4 of 5")
        );
        assert_eq!(
            line(MessageKind::Text, Author::Agent, Some("Ada"), None),
            None
        );
        for (_, language) in Language::ALL {
            let s = strings(*language);
            let rated = s
                .event(MessageKind::Rated, &Author::Visitor, None, Some(3))
                .unwrap();
            assert!(rated.contains('3') && rated.contains('5'), "{language:?}");
            assert!(
                s.of_five.contains('5') && !s.seen.is_empty(),
                "{language:?}"
            );
        }
    }
}
