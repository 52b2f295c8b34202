import type { AskMode } from '@rag/contract';

export interface Passage {
  /** 1-based; the answer cites it as [index]. */
  index: number;
  documentId: string;
  title: string;
  chunkId: string;
  content: string;
  score: number;
}

export interface GenerateInput {
  question: string;
  passages: Passage[];
  mode: AskMode;
  signal?: AbortSignal;
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
