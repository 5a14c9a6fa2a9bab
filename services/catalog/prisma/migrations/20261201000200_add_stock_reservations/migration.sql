-- Exactly-once stock reservations for checkout: the row is inserted in the same transaction as
-- the stock decrements, so a retry finds it and replays the stored result.

-- CreateTable
CREATE TABLE "stock_reservations" (
    "id" VARCHAR(128) NOT NULL,
    "requested_by" VARCHAR(128) NOT NULL,
    "fingerprint" CHAR(64) NOT NULL,
    "result" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stock_reservations_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "stock_reservations_created_at_idx" ON "stock_reservations"("created_at");
