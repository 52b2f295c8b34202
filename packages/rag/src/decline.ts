import { tokenize } from './text.ts';

/** The languages an answer can decline in: the question's, Vietnamese or English. */
type AnswerLanguage = 'vi' | 'en';

// Letters only Vietnamese uses among the Latin scripts (with its tone marks): one is enough to call it Vietnamese.
const VI_LETTERS = /[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]/iu;
// Syllables of questions typed without diacritics that are not English words ("bao nhieu", "la gi", "nha thau").
const VI_PLAIN = new Set(
  'la gi cua nha thau bao nhieu khong duoc nao nhu trong co cac cho voi mot nhung khi thi da ve tai hay ai sao dau nhan hop dong phai bi viec nguoi'.split(
    ' ',
  ),
);

/** Vietnamese when the question has a Vietnamese letter or, typed without diacritics, mostly Vietnamese syllables. */
export function questionLanguage(question: string): AnswerLanguage {
  const text = question.normalize('NFC');
  if (VI_LETTERS.test(text)) return 'vi';
  const words = tokenize(text);
  if (words.length === 0) return 'en';
  return words.filter((w) => VI_PLAIN.has(w)).length / words.length >= 0.3 ? 'vi' : 'en';
}

/** What a declined ask answers, in the question's language (CONTRACT.md: `answerable: false`, no citations). */
export const DECLINE_ANSWERS: Record<AnswerLanguage, string> = {
  vi: 'Các tài liệu hiện có không chứa câu trả lời cho câu hỏi này.',
  en: 'The documents do not contain an answer to this question.',
};

export function declineAnswer(question: string): string {
  return DECLINE_ANSWERS[questionLanguage(question)];
}

/**
 * What the LLM is told to reply, alone, when its passages do not answer the question; recognised by
 * `isLlmDecline` (the model may wrap it in quotes, punctuation or a short explanation after it).
 */
export const LLM_DECLINE_MARKER = 'NO_ANSWER';

export function isLlmDecline(answer: string): boolean {
  return /^[\s"'`*([{]*NO_ANSWER\b/u.test(answer);
}

/** Whether a streamed beginning could still turn out to be the decline marker (so it is held back, not streamed). */
export function mayBecomeDecline(start: string): boolean {
  const s = start.replace(/^[\s"'`*([{]+/u, '');
  return s.length < LLM_DECLINE_MARKER.length ? LLM_DECLINE_MARKER.startsWith(s) : s.startsWith(LLM_DECLINE_MARKER);
}
