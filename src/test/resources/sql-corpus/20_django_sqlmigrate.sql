-- expect 4: ALTER_TABLE, ALTER_TABLE, CREATE_INDEX, CREATE_INDEX
-- index 3: shop_order_customer_ref_5f3e1a2b ON shop_order
--
-- Add field customer_ref to order
--
ALTER TABLE "shop_order" ADD COLUMN "customer_ref" varchar(64) DEFAULT '' NOT NULL;
ALTER TABLE "shop_order" ALTER COLUMN "customer_ref" DROP DEFAULT;
CREATE INDEX "shop_order_customer_ref_5f3e1a2b" ON "shop_order" ("customer_ref");
CREATE INDEX "shop_order_customer_ref_5f3e1a2b_like" ON "shop_order" ("customer_ref" varchar_pattern_ops);
