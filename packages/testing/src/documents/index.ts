// `@rag/testing/documents`: PDF/DOCX/HTML makers for fixtures (hostile ones included) and the sample corpus's
// PDF and DOCX content. A subpath of its own so importing it does not load the database helpers.
export * from './document-makers.ts';
export * from './sample-documents.ts';
