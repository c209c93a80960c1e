-- memrec schema 2: the container's name beside the pod's, from the runtime's container config.
-- container: the container's name in its pod (`checkout`); container_type: 'container' or 'sandbox' (the pause
-- container). Both NULL where unknown and for pod-level aggregates; rows written before stay as they were.
ALTER TABLE owners ADD COLUMN container TEXT;
ALTER TABLE owners ADD COLUMN container_type TEXT CHECK (container_type IN ('container', 'sandbox'));
