-- Follow-up reminders (跟进提醒): when a customer's next follow-up comes due,
-- the owner gets a notification that links the customer. `follow_up_reminded_at`
-- records the reminder so each due date is announced once.
ALTER TABLE notifications ADD COLUMN customer_id TEXT REFERENCES customers(id);
ALTER TABLE customers ADD COLUMN follow_up_reminded_at BIGINT;
CREATE INDEX customers_follow_up_due ON customers(next_follow_up_at);
