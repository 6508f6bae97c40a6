-- Search plans at a million documents (issue 12).
--
-- Planning cost: every search is planned for its own term (custom plans, so a rare term gets the
-- GIN index and a common one the walk down the recency index), and estimating `tsv @@ query`
-- reads the column's whole most-common-lexeme list. At statistics target 10000 that list held
-- every lexeme of the corpus (~19k at 1M posts) and the estimate alone cost ~1.2 ms a plan, more
-- than running the query for a rare term. At 1000 the list keeps the 10,000 most common lexemes,
-- down to ~0.01% of documents: a term is either in it (estimated as counted) or rarer than all of
-- them (estimated rare), which is all the plan choice needs (the walk wins above ~0.5% for a page).
ALTER TABLE search_documents ALTER COLUMN tsv SET STATISTICS 1000;

-- The forum filter (`forum_id=`): walk that forum's documents newest first, not the whole org's
-- (for a forum holding a sixth of the org, six times fewer rows read to find the same matches).
CREATE INDEX IF NOT EXISTS search_documents_scope_recent_idx
    ON search_documents (org_id, scope_id, created_at DESC, id DESC);

ANALYZE search_documents;
