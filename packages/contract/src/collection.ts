import { z } from 'zod';

/** Every document belongs to a collection; asks, uploads, listings and API key scopes name one. */
export const DEFAULT_COLLECTION = 'default';

/** A collection's name: letters, digits, `_ . -`, starting with a letter or digit (safe in URLs, keys and logs). */
export const COLLECTION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const collectionSchema = z
  .string()
  .regex(COLLECTION_PATTERN, 'collection must be 1-64 letters, digits, _ . - (starting with a letter or digit)');
