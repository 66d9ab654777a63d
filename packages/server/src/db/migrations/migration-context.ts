/** What a migration needs to know about the engine it runs on. */
export interface MigrationContext {
  dialect: 'sqlite' | 'postgres';
  /** Column type of an auto-incrementing integer key on this engine. */
  serialId: 'integer' | 'bigserial';
}
