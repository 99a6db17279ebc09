"""People in the loop: review decisions and corrected masks that win over the teacher's labels."""
