import type { AskMode } from '@rag/contract';

export interface Passage {
  /** 1-based; the answer cites it as [index]. */
  index: number;
  documentId: string;
  title: string;
  chunkId: string;
  content: string;
  score: number;
  /** The page of a PDF chunk (null or absent otherwise). */
  page?: number | null;
}

export interface GenerateInput {
  question: string;
  passages: Passage[];
  mode: AskMode;
  signal?: AbortSignal;
  /**
   * Receives the answer's text as it is generated: the pieces concatenate to the returned `answer` exactly
   * (trimmed as it is). A generator that cannot stream may call it once with the whole answer, or not at all.
   */
  onToken?: (text: string) => void;
}

export interface Generation {
  answer: string;
  model: string;
  usage?: { promptTokens: number; completionTokens: number };
}

export interface Generator {
  readonly model: string;
  generate(input: GenerateInput): Promise<Generation>;
}

export const NO_CONTEXT_ANSWER = 'No relevant passage was found in the documents for this question.';
