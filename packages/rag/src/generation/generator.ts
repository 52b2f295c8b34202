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
  /**
   * How much of the question the retrieved passages cover, 0..1 (the best passage's share of the question's words
   * and adjacent pairs): the retrieval evidence a generator that cannot judge relevance itself declines on.
   */
  evidence?: number;
  signal?: AbortSignal;
  /**
   * Receives the answer's text as it is generated: the pieces concatenate to the returned `answer` exactly
   * (trimmed as it is). A generator that cannot stream may call it once with the whole answer, or not at all.
   */
  onToken?: (text: string) => void;
  /**
   * Whether anyone may be reading the answer as it is generated. Asked, just before it starts, by a generator for
   * which streaming costs more than answering whole (an LLM's streamed response costs its client about three times
   * the CPU): on false it answers in one piece and passes the whole answer to `onToken` at once. Absent: stream.
   */
  watched?: () => Promise<boolean>;
}

export interface Generation {
  answer: string;
  /** false: the passages do not answer the question, and `answer` says so in the question's language. */
  answerable?: boolean;
  model: string;
  usage?: { promptTokens: number; completionTokens: number };
}

export interface Generator {
  readonly model: string;
  generate(input: GenerateInput): Promise<Generation>;
}
