-- Kizuna schema v18: the console's search index rebuilt, because the name
-- keys it holds changed: 齊 and 斉 now fold to 斎 (with 齋), and romaji
-- keys fold to a fixed point. The terms are written again from every
-- active customer's golden record (backfillSearch) after this statement.
DELETE FROM customer_search;
