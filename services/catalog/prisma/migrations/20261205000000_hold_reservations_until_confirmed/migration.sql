-- A reservation is now held for a bounded time: checkout confirms it (the stock is sold), or
-- releases it (the checkout ordered nothing), or nobody does and it expires. Releasing and
-- expiring give its stock back. Rows made before this migration belonged to checkouts that had
-- no way to confirm, so they count as confirmed and their stock is never returned.

-- AlterTable
ALTER TABLE "stock_reservations" ADD COLUMN "status" VARCHAR(16) NOT NULL DEFAULT 'confirmed';
ALTER TABLE "stock_reservations" ALTER COLUMN "status" DROP DEFAULT;
ALTER TABLE "stock_reservations" ADD COLUMN "expires_at" TIMESTAMPTZ(3);
ALTER TABLE "stock_reservations" ADD COLUMN "settled_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "stock_reservations_status_expires_at_idx" ON "stock_reservations"("status", "expires_at");

-- Invariants Prisma cannot express: a known status, and an expiry exactly while held.
ALTER TABLE "stock_reservations" ADD CONSTRAINT "stock_reservations_status_known" CHECK ("status" IN ('held', 'confirmed', 'released', 'expired'));
ALTER TABLE "stock_reservations" ADD CONSTRAINT "stock_reservations_expiry_while_held" CHECK (("status" = 'held') = ("expires_at" IS NOT NULL));
